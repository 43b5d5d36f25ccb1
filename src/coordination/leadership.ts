/** One term of leadership: the lease's fencing token while this process holds it. */
export interface LeaderTerm {
  token: number;
  /** The lease's name (one per scope): state writes check the token against it. */
  lease: string;
}

/** What /health and `berth status` show about this process's place in the fleet. */
export interface LeadershipStatus {
  role: 'leader' | 'follower';
  /** This process (cluster.processId). */
  processId: string;
  /** Who holds the lease now, as last seen; null when nobody does. */
  leader: string | null;
  /** Seconds since the current leader took the lease, as last seen. */
  leaseAgeSeconds: number | null;
  /** The fencing token of the current term, as last seen. */
  term: number | null;
  /** `lease` (Postgres: leases table) or `single` (SQLite: the one process leads). */
  mode: 'lease' | 'single';
}

/** The loops' gate: they act only while this says so. */
export interface Leadership {
  isLeader(): boolean;
  /** The term held now, for fenced writes; undefined when not leading (or not fenced: SQLite). */
  term(): LeaderTerm | undefined;
  status(): LeadershipStatus;
}

export interface LeadershipEvents {
  /** Became leader (the loops start, beginning with a reconcile pass). */
  onGained(term: LeaderTerm | undefined, previousLeader: string | null): Promise<void>;
  /** Lost the lease (or stopping): the loops stop at once. */
  onLost(reason: string): Promise<void>;
}

/** SQLite (one process per store): this process is the leader from start to stop. */
export class SingleLeadership implements Leadership {
  private leading = false;
  private since = 0;

  constructor(private readonly processId: string, private readonly events: LeadershipEvents, private readonly now: () => number) {}

  isLeader(): boolean {
    return this.leading;
  }

  term(): LeaderTerm | undefined {
    return undefined;
  }

  status(): LeadershipStatus {
    return {
      role: this.leading ? 'leader' : 'follower', processId: this.processId, leader: this.leading ? this.processId : null,
      leaseAgeSeconds: this.leading ? Math.round((this.now() - this.since) / 100) / 10 : null, term: null, mode: 'single',
    };
  }

  async start(): Promise<void> {
    this.leading = true;
    this.since = this.now();
    await this.events.onGained(undefined, null);
  }

  async stop(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.events.onLost('stopping');
  }
}
