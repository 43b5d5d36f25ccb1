import type { Store } from '../store.js';
import { RevisionsRepo } from './revisions-repo.js';
import { RolloutsRepo } from './rollouts-repo.js';
import { UpgradesRepo } from './upgrades-repo.js';

export interface UpgradeRepos {
  revisions: RevisionsRepo;
  upgrades: UpgradesRepo;
  rollouts: RolloutsRepo;
}

/** The repositories of revisions, upgrades and rollouts over the store (the handle stays inside src/store). */
export function upgradeRepos(store: Pick<Store, 'db'>): UpgradeRepos {
  return { revisions: new RevisionsRepo(store.db), upgrades: new UpgradesRepo(store.db), rollouts: new RolloutsRepo(store.db) };
}
