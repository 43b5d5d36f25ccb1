import type { InstanceStatus } from '../api/client';
import { tone } from '../status';

/** Colour and word: the status is never told by colour alone. */
export function StatusBadge({ status }: { status: InstanceStatus }) {
  return <span class={`badge ${tone(status)}`} data-status={status}>{status}</span>;
}
