/**
 * Decodes s6-supervise's `supervise/status` file (s6 2.x: 35 bytes; 43 with a process
 * group, s6 2.12+) into berth's service state, and renders it the way `s6-svstat` prints it.
 * Layout: TAI64N state-change stamp (12) · TAI64N readiness stamp (12) · pid (u64 BE, 8) ·
 * [pgid (u64 BE, 8)] · wait status (u16 BE, 2) · flags (1): paused 1, finishing 2, want up 4,
 * ready 8.
 */
export type ServiceState = 'up' | 'down' | 'finishing';

export interface S6Status {
  state: ServiceState;
  wantUp: boolean;
  ready: boolean;
  paused: boolean;
  pid: number | null;
  /** Seconds in the current state (up or down). */
  uptimeSeconds: number;
  exitCode: number | null;
  signal: string | null;
  normallyUp: boolean;
  /** The line `s6-svstat` prints for this status. */
  raw: string;
  /** Unix ms of the last state change (distinguishes two downs, or two ups with one pid). */
  changedAt: number;
}

const TAI_EPOCH = 2n ** 62n;
/** skalibs labels the system clock as TAI (10 s) plus the leap seconds since 1972 (27). */
const TAI_UTC_OFFSET = 37n;

const SIGNALS = ['', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];

function taiToUnixMs(buf: Buffer, offset: number): number {
  const secs = buf.readBigUInt64BE(offset) - TAI_EPOCH - TAI_UTC_OFFSET;
  const nanos = buf.readUInt32BE(offset + 8);
  return Number(secs) * 1000 + Math.floor(nanos / 1e6);
}

export function isS6StatusSize(length: number): boolean {
  return length === 35 || length === 43;
}

/** `nowMs` is the host clock (a container shares the kernel's clock). */
export function decodeS6Status(bytes: Buffer, nowMs: number, normallyUp: boolean): S6Status {
  if (!isS6StatusSize(bytes.length)) throw new Error(`an s6 status file has 35 or 43 bytes, not ${bytes.length}`);
  const wide = bytes.length === 43;
  const changedAt = taiToUnixMs(bytes, 0);
  const readyAt = taiToUnixMs(bytes, 12);
  const pid = Number(bytes.readBigUInt64BE(24));
  const wstat = bytes.readUInt16BE(wide ? 40 : 32);
  const flags = bytes[wide ? 42 : 34] ?? 0;
  const paused = (flags & 1) !== 0;
  const finishing = (flags & 2) !== 0;
  const wantUp = (flags & 4) !== 0;
  const flagReady = (flags & 8) !== 0;
  const isUp = pid > 0 && !finishing;
  const termsig = wstat & 0x7f;
  const signaled = termsig !== 0 && termsig !== 0x7f;
  const exitCode = isUp || signaled ? null : (wstat >> 8) & 0xff;
  const signal = !isUp && signaled ? (SIGNALS[termsig] ?? `SIG${termsig}`) : null;
  // s6-svstat clamps a stamp in the future to now and truncates to whole seconds.
  const since = (at: number): number => Math.max(0, Math.floor((nowMs - at) / 1000));
  const uptimeSeconds = since(changedAt);

  let raw = isUp ? `up (pid ${pid}) ` : `down (${signal ? `signal ${signal}` : `exitcode ${exitCode}`}) `;
  raw += `${uptimeSeconds} seconds`;
  if (isUp && !normallyUp) raw += ', normally down';
  if (!isUp && normallyUp) raw += ', normally up';
  if (isUp && paused) raw += ', paused';
  if (!isUp && wantUp) raw += ', want up';
  if (isUp && !wantUp) raw += ', want down';
  if (flagReady) raw += `, ready ${since(readyAt)} seconds`;

  return {
    state: isUp ? 'up' : finishing ? 'finishing' : 'down',
    wantUp,
    // "ready" for berth: up and, where the service signals readiness, ready.
    ready: isUp && flagReady,
    paused,
    pid: isUp ? pid : null,
    uptimeSeconds,
    exitCode,
    signal,
    normallyUp,
    raw,
    changedAt,
  };
}
