/**
 * A synthetic /v1/instances answer of any size, shaped exactly like the API's Instance, for
 * measuring the fleet view at scales the shared test engine cannot hold as real containers.
 */
const STATUSES = ['running', 'running', 'running', 'running', 'running', 'running', 'unhealthy', 'restarting', 'stopped', 'crashloop', 'failed', 'starting', 'creating'] as const;
const PLANS = ['starter', 'pro', 'business'];
const BASE = Date.now();

export function syntheticFleet(n: number, version: number, now = BASE): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => {
    // Each version changes what a 2 s poll of a real 500-fleet would: ~1/15 of the health checks
    // (probes every 30 s) and the status of 1 in 50.
    const status = STATUSES[(i * 7 + (i % 50 === 0 ? version : 0)) % STATUSES.length]!;
    const tenant = `tenant-${String(i % 40).padStart(2, '0')}`;
    const started = new Date(now - (i + 1) * 97_000).toISOString();
    const probes = Math.floor((version - (i % 15) + 15) / 15);
    const checked = new Date(now - 60_000 - (i % 30) * 1000 + probes * 30_000).toISOString();
    return {
      id: `syn${String(i).padStart(5, '0')}`, name: `${tenant}-agent-${i}`, tenant, plan: PLANS[i % 3]!, image: 'berth/test-agent:local',
      command: null, env: { LOG_LEVEL: 'info' }, secretNames: ['OPENAI_API_KEY'], port: 8080, hostPort: 20000 + i, url: `http://127.0.0.1:${20000 + i}`,
      network: null, health: { path: '/health', intervalSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1, startPeriodSeconds: 10 },
      desiredState: status === 'stopped' ? 'stopped' : 'running', status, containerId: `c${i}`,
      restarts: status === 'running' ? i % 3 : 3 + (i % 7), consecutiveFailures: ['unhealthy', 'crashloop', 'failed'].includes(status) ? 1 + (i % 4) : 0,
      checksPassed: 100 + i, lastCheckAt: status === 'stopped' ? null : checked, lastCheckOk: !['unhealthy', 'crashloop', 'failed'].includes(status),
      lastCheckLatencyMs: 1 + (i % 9), lastExitCode: null, oomKilled: false, backoffMs: 0, nextRestartAt: null,
      lastError: status === 'failed' ? 'health check answered HTTP 503' : null, startedAt: status === 'stopped' ? null : started,
      createdAt: new Date(now - 86_400_000 + i * 1000).toISOString(), updatedAt: checked,
    };
  });
}
