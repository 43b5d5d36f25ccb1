import type { Kysely } from 'kysely';
import type { WorkspacePins } from '../../runtime/workspace-pins.js';
import type { Database } from '../database.js';

/** Where each workspace volume lives on a cluster: the first node that ran a task with it. */
export class WorkspaceNodesRepo implements WorkspacePins {
  constructor(private readonly db: Kysely<Database>, private readonly now: () => string) {}

  async nodeOf(volume: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('workspace_nodes').select('node_id').where('volume', '=', volume).executeTakeFirst();
    return row?.node_id;
  }

  /** Records the first placement only: a volume never moves by itself. */
  async record(volume: string, nodeId: string): Promise<void> {
    await this.db.insertInto('workspace_nodes').values({ volume, node_id: nodeId, placed_at: this.now() })
      .onConflict((oc) => oc.column('volume').doNothing()).execute();
  }

  async forget(volume: string): Promise<void> {
    await this.db.deleteFrom('workspace_nodes').where('volume', '=', volume).execute();
  }
}
