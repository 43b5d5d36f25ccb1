/** Labels on everything berth makes in the runtime. The one place their names are spelled. */
export const LABELS = {
  managed: 'berth.managed',
  /** Which berth deployment owns the object; a berth only touches its own scope. */
  scope: 'berth.scope',
  instance: 'berth.instance',
  instanceName: 'berth.name',
  tenant: 'berth.tenant',
  plan: 'berth.plan',
  port: 'berth.port',
  kind: 'berth.kind',
} as const;

export type ObjectKind = 'instance' | 'workspace' | 'network';

/** The labels that mark an object as berth's, in a scope. */
export function managedLabels(scope: string, kind: ObjectKind): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.scope]: scope, [LABELS.kind]: kind };
}

/** A label filter that selects what one berth scope owns. */
export function scopeFilter(scope: string): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.scope]: scope };
}
