import type { Clock } from '../common/clock.js';
import { describeError } from '../common/errors.js';
import type { BerthConfig } from '../config/schema.js';
import type { GateTarget, GateVerdict } from '../core/upgrades/health-gate.js';
import type { RuntimeDriver } from '../runtime/runtime-driver.js';
import { resolveHealthSpec } from './health-spec.js';
import type { HttpProber } from './http-prober.js';
import { ProbeState } from './probe-state.js';

export interface RolloutJudgeDeps {
  config: Pick<BerthConfig, 'health' | 'plans'>;
  prober: HttpProber;
  runtime: RuntimeDriver;
  clock: Clock;
  startProbeIntervalMs: number;
  serviceCheck?: (target: { id: string; name: string; tenant: string; plan: string; containerId: string; health: string; scanDir?: string | null }) => Promise<string | null>;
}

/**
 * A rollout's health gate, judged by the monitor's rules: the same prober and critical-service
 * check, the instance's health spec resolved against its plan, and ProbeState's start period
 * and thresholds (successThreshold passes: healthy; failureThreshold counted failures past the
 * start period, or the container exiting: failed). The deadline bounds it either way.
 */
export async function judgeRollout(d: RolloutJudgeDeps, target: GateTarget, deadlineMs: number, abandon?: () => Promise<string | null>): Promise<GateVerdict> {
  const spec = resolveHealthSpec(d.config, target.plan, target.health);
  const started = d.clock.now();
  const until = started + deadlineMs;
  const state = new ProbeState(spec, started, true);
  let probes = 0;
  let lastError = 'no probe answered yet';
  let healthyAt: number | null = null;
  for (;;) {
    const gone = await abandon?.();
    if (gone) return { healthy: false, reason: gone, exitCode: null, probes, healthyAt };
    const remaining = until - d.clock.now();
    let result = await d.prober.probe(target.hostPort, spec.path, Math.max(1, Math.min(spec.timeoutMs, remaining)), d.runtime.probeAddress?.(target.containerId));
    probes++;
    if (result.ok && d.serviceCheck) {
      const problem = await d.serviceCheck({ ...target }).catch((error: unknown) => `critical services not checked: ${describeError(error)}`);
      if (problem) result = { ...result, ok: false, error: problem };
    }
    const now = d.clock.now();
    const verdict = state.observe(result.ok, now, 'starting');
    if (result.ok) healthyAt ??= now;
    else lastError = result.error ?? 'health check failed';
    if (verdict === 'healthy') return { healthy: true, reason: 'healthy', exitCode: null, probes, healthyAt };
    if (!result.ok) {
      const info = await d.runtime.inspectContainer(target.containerId).catch(() => undefined);
      if (!info || (info.state !== 'running' && info.state !== 'restarting')) {
        const code = info?.exitCode ?? null;
        return { healthy: false, reason: info ? `the new container exited with code ${code ?? 'unknown'}${info.oomKilled ? ' (out of memory)' : ''}` : 'the new container is gone', exitCode: code, probes, healthyAt };
      }
    }
    if (verdict === 'restart') {
      return { healthy: false, reason: `health check failed ${state.consecutiveFailures} times past the start period: ${lastError}`, exitCode: null, probes, healthyAt };
    }
    if (now >= until) return { healthy: false, reason: `not healthy within ${Math.round(deadlineMs / 1000)}s: ${lastError}`, exitCode: null, probes, healthyAt };
    const delay = Math.min(state.nextDelay(now, d.startProbeIntervalMs), Math.max(0, until - now));
    await new Promise<void>((resolve) => d.clock.setTimeout(resolve, delay));
  }
}
