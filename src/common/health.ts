/** `unsupported`: a host feature berth would use is missing (a warning on /health, not an outage). */
export type ComponentState = 'up' | 'down' | 'degraded' | 'starting' | 'disabled' | 'unsupported';

export interface ComponentHealth {
  status: ComponentState;
  detail?: string;
}

/** Each part of the daemon reports its own health here; /health shows them all. */
export class HealthRegistry {
  private readonly checks = new Map<string, () => ComponentHealth>();

  register(name: string, check: () => ComponentHealth): void {
    this.checks.set(name, check);
  }

  snapshot(): Record<string, ComponentHealth> {
    const out: Record<string, ComponentHealth> = {};
    for (const [name, check] of this.checks) {
      try {
        out[name] = check();
      } catch (error) {
        out[name] = { status: 'down', detail: (error as Error).message };
      }
    }
    return out;
  }
}
