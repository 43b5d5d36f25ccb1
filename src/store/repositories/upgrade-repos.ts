import type { Store } from '../store.js';
import type { RevisionsRepo } from './revisions-repo.js';
import type { RolloutsRepo } from './rollouts-repo.js';
import type { UpgradesRepo } from './upgrades-repo.js';

export interface UpgradeRepos {
  revisions: RevisionsRepo;
  upgrades: UpgradesRepo;
  rollouts: RolloutsRepo;
}

/** The repositories of revisions, upgrades and rollouts over the store (the handle stays inside src/store). */
export function upgradeRepos(store: Pick<Store, 'repos'>): UpgradeRepos {
  return { revisions: store.repos.revisions, upgrades: store.repos.upgrades, rollouts: store.repos.rollouts };
}
