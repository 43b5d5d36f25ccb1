import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, freePort, runBerth, spawnCli, type CliSandbox } from '../helpers/cli.js';
import { rawDocker } from '../helpers/docker.js';
import { testEnv } from '../helpers/env.js';

function pidOf(box: CliSandbox): number {
  return Number(readFileSync(path.join(box.dataDir, 'berth.pid'), 'utf8').trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its new parent) counts as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A pid that certainly belongs to no process any more. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe(`berth server start|status|logs|stop (${testEnv.store})`, () => {
  let box: CliSandbox;
  beforeAll(async () => {
    box = await cliSandbox();
  });
  afterAll(async () => {
    await box.cleanup();
  });

  it('starts in the background, reports status, shows its log, is idempotent, and stops with SIGTERM', async () => {
    const start = await box.berth(['server', 'start', '--json']);
    expect(start.code, start.stderr).toBe(0);
    const info = JSON.parse(start.stdout) as { pid: number; url: string; tokenFile: string; logFile: string; alreadyRunning: boolean };
    expect(info).toMatchObject({ url: box.url, tokenFile: path.join(box.dataDir, 'admin.token'), logFile: path.join(box.dataDir, 'berth.log'), alreadyRunning: false });
    expect(pidOf(box)).toBe(info.pid);
    expect(alive(info.pid)).toBe(true);
    expect((await fetch(`${box.url}/ready`)).status).toBe(200);

    const again = await box.berth(['server', 'start']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`berth is already running (pid ${info.pid})`);

    const status = await box.berth(['server', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`berth [\\d.]+ is running at ${box.url} \\(pid ${info.pid}\\)`));
    expect(status.stdout).toMatch(/store\s+up/);
    expect(status.stdout).toMatch(/runtime\s+up/);

    // One rule with the daemon's own output: JSON in a pipe, readable lines on a terminal or when forced.
    const piped = await box.berth(['server', 'logs', '--tail', '1']);
    expect(JSON.parse(piped.stdout)).toMatchObject({ msg: 'berth is ready' });
    const logs = await box.berth(['server', 'logs', '--tail', '3'], { env: { BERTH_LOG_FORMAT: 'pretty' } });
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(3);
    expect(logs.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}berth is ready url=/);
    const raw = await box.berth(['server', 'logs', '--tail', '1', '--raw']);
    expect(JSON.parse(raw.stdout)).toMatchObject({ msg: 'berth is ready', url: box.url });

    // `server logs -f` sees what the daemon writes while it stops.
    const follow = spawnCli(['server', 'logs', '-f', '--tail', '0'], box.env);
    // Following has begun once a line appended now comes out (a marker of the test's own, not the daemon's).
    const marker = JSON.stringify({ level: 30, time: Date.now(), msg: 'test marker: following' });
    await waitUntil(async () => {
      if (follow.stdout().includes('test marker: following')) return true;
      appendFileSync(info.logFile, `${marker}\n`);
      return false;
    }, 10_000);
    const stop = await box.berth(['server', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`berth stopped \\(pid ${info.pid}, [\\d.]+s\\)`));
    await follow.waitFor((out) => out.includes('berth stopped; tenant containers keep running'), 10_000);
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);
    expect(alive(info.pid)).toBe(false);
    expect(existsSync(path.join(box.dataDir, 'berth.pid'))).toBe(false);
    expect((await box.berth(['server', 'status'])).code).toBe(5);
  });

  it('detects and cleans a stale pid file', async () => {
    const pidFile = path.join(box.dataDir, 'berth.pid');
    writeFileSync(pidFile, `${await deadPid()}\n`);
    const status = await box.berth(['server', 'status']);
    expect(status.code).toBe(5);
    expect(status.stderr).toContain('removed a stale pid file');
    expect(existsSync(pidFile)).toBe(false);

    writeFileSync(pidFile, `${process.pid}\n`); // alive, but not a berth daemon (pid reuse)
    const stop = await box.berth(['server', 'stop']);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain('removed a stale pid file');
    expect(stop.stdout).toContain('berth is not running');
    expect(existsSync(pidFile)).toBe(false);

    writeFileSync(pidFile, `${await deadPid()}\n`);
    const start = await box.berth(['server', 'start']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain('removed a stale pid file');
    expect(pidOf(box)).not.toBe(process.pid);
    expect(alive(pidOf(box))).toBe(true);
  });

  it('kills a daemon that does not stop within the grace period', async () => {
    const pid = pidOf(box);
    process.kill(pid, 'SIGSTOP'); // a hung daemon: SIGTERM is never handled
    const stop = await box.berth(['server', 'stop', '--timeout', '1']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`berth (pid ${pid}) did not stop within 1s and was killed`);
    expect(alive(pid)).toBe(false);
    expect(existsSync(path.join(box.dataDir, 'berth.pid'))).toBe(false);
  });

  it('reports a daemon that cannot start (port taken) with the end of its log', async () => {
    const sockets = new Set<net.Socket>();
    const blocker = net.createServer((s) => sockets.add(s.on('close', () => sockets.delete(s))));
    await new Promise<void>((resolve, reject) => blocker.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const start = await box.berth(['server', 'start', '--port', String(taken), '--timeout', '30']);
      expect(start.code).toBe(1);
      expect(start.stderr).toMatch(/berth exited during start \(code 1\)/);
      expect(start.stderr).toContain('EADDRINUSE');
      expect(existsSync(path.join(box.dataDir, 'berth.pid'))).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe(`berth token and docker commands (${testEnv.store})`, () => {
  let box: CliSandbox;
  const container = `berth-cli-plain-${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    box = await cliSandbox();
    expect((await box.berth(['server', 'start'])).code).toBe(0);
    // A container berth did not make; labelled with the test scope only so cleanup finds it.
    const c = await rawDocker().createContainer({
      name: container, Image: testEnv.image, Env: ['LOG_EVERY_MS=100'], Labels: { 'berth.scope': box.scope },
      HostConfig: { CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
    });
    await c.start();
  });
  afterAll(async () => {
    await box.berth(['server', 'stop']);
    await box.cleanup();
  });

  it('token create / ls / revoke, and what a tenant or revoked token may do', async () => {
    const created = await box.berth(['token', 'create', 'ci-bot', '--tenant', 'acme']);
    expect(created.code, created.stderr).toBe(0);
    const tenantToken = created.stdout.trim();
    expect(tenantToken).toMatch(/^berth_\S+$/);
    expect(created.stderr).toContain('shown only this once');

    expect((await box.berth(['token', 'create', 'ci-bot'])).code).toBe(4);

    const ls = await box.berth(['token', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/ci-bot\s+tenant\s+acme\s+\d+s\s+never\s+never\s+active/);
    expect(ls.stdout).not.toContain(tenantToken);
    const json = JSON.parse((await box.berth(['token', 'ls', '--json'])).stdout) as { items: Array<{ name: string }> };
    expect(json.items.map((t) => t.name).sort()).toEqual(['admin', 'ci-bot']);

    // A tenant token lists (its own) instances, but the engine passthrough is admin only.
    expect((await box.berth(['--token', tenantToken, 'ls'])).code).toBe(0);
    const forbidden = await box.berth(['--token', tenantToken, 'docker', 'ps']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('FORBIDDEN');

    const revoke = await box.berth(['token', 'revoke', 'ci-bot']);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain('token ci-bot revoked');
    const revoked = await box.berth(['ls'], { env: { BERTH_TOKEN: tenantToken } });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('UNAUTHORIZED');
    expect(revoked.stderr).toContain('hint: the token from BERTH_TOKEN was not accepted');
    expect((await box.berth(['token', 'revoke', 'nope'])).code).toBe(3);
  });

  it('docker ps / status / stop / start / restart / logs go through the daemon', async () => {
    const ps = await box.berth(['docker', 'ps']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+NAME\s+IMAGE\s+STATE\s+CREATED\s+PORTS$/);
    expect(ps.stdout).toMatch(new RegExp(`${container}\\s+${testEnv.image}\\s+running`));

    const stop = await box.berth(['docker', 'stop', container, '--timeout', '2']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`${container}: exited`);
    expect((await box.berth(['docker', 'ps'])).stdout).not.toContain(container);
    expect((await box.berth(['docker', 'ps', '--all'])).stdout).toMatch(new RegExp(`${container}\\s+\\S+\\s+exited`));

    const status = await box.berth(['docker', 'status', container, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ name: container, state: 'exited' });
    expect((await box.berth(['docker', 'start', container])).code).toBe(0);
    const restarted = await box.berth(['docker', 'restart', container, '--timeout', '2']);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toContain(`${container}: running`);
    const shown = await box.berth(['docker', 'status', container]);
    expect(shown.stdout).toMatch(/state:\s+running/);

    const logs = await box.berth(['docker', 'logs', container, '--tail', '3']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(3);
    expect(logs.stdout).toContain('test-agent');

    const doctor = await box.berth(['doctor']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/✓ daemon\s+berth [\d.]+ at http:\/\/127\.0\.0\.1:\d+: ok/);
    expect(doctor.stdout).toMatch(/✓ engine\s+docker /);
    expect(doctor.stdout).toMatch(new RegExp(`✓ store\\s+${testEnv.store} \\(as the daemon sees it\\)`));
    expect(doctor.stdout).toContain('no problems found');

    const missing = await box.berth(['docker', 'status', 'no-such-container-here']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('CONTAINER_NOT_FOUND');
  });
});

describe(`berth on a port other than the default (${testEnv.store})`, () => {
  let box: CliSandbox;
  // As an operator's shell: no BERTH_URL and no BERTH_PORT, only the data dir.
  let bare: Record<string, string>;
  beforeAll(async () => {
    box = await cliSandbox();
    bare = Object.fromEntries(Object.entries(box.env).filter(([k]) => k !== 'BERTH_URL' && k !== 'BERTH_PORT'));
  });
  afterAll(async () => {
    await box.cleanup();
  });

  it('`server start --port N` records the address; status, ls and stop find it; --url is honoured', async () => {
    const start = await runBerth(['server', 'start', '--port', String(box.port)], bare);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain(`berth is running at ${box.url}`);
    const pid = readFileSync(path.join(box.dataDir, 'berth.pid'), 'utf8').trim();
    expect(readFileSync(path.join(box.dataDir, 'berth.url'), 'utf8')).toBe(`${pid}\n${box.url}\n`);

    const status = await runBerth(['server', 'status'], bare);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`is running at ${box.url} \\(pid ${pid}\\)`));
    const ls = await runBerth(['ls'], bare);
    expect(ls.code, ls.stderr).toBe(0);

    // --url wins over the record: a URL where nothing answers is reported as such.
    const elsewhere = `http://127.0.0.1:${await freePort()}`;
    const other = await runBerth(['--url', elsewhere, 'server', 'status'], bare);
    expect(other.code).toBe(5);
    expect(other.stdout).toContain(`at ${elsewhere}`);
    const viaUrl = await runBerth(['--url', box.url, 'server', 'status', '--json'], bare);
    expect(JSON.parse(viaUrl.stdout)).toMatchObject({ running: true, url: box.url, pid: Number(pid) });

    const stop = await runBerth(['server', 'stop'], bare);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain(`berth stopped (pid ${pid}`);
    expect(existsSync(path.join(box.dataDir, 'berth.url'))).toBe(false);
  });

  it('`server stop` refuses (exit 1) when a berth answers that it did not start; the CLI follows BERTH_PORT', async () => {
    // Started another way (npm start, a service manager): in the foreground, no pid file.
    const serve = spawnCli(['serve'], { ...bare, BERTH_PORT: String(box.port) });
    try {
      await waitUntil(async () => (await fetch(`${box.url}/ready`).catch(() => undefined))?.status === 200, 60_000);
      const withPort = { ...bare, BERTH_PORT: String(box.port) };
      // Not a terminal: the daemon logs JSON lines.
      expect(serve.stdout()).toMatch(/^\{"level":30,.*"msg":"berth is ready"/m);
      const ls = await runBerth(['ls'], withPort);
      expect(ls.code, ls.stderr).toBe(0);

      const stop = await runBerth(['server', 'stop'], withPort);
      expect(stop.code).toBe(1);
      expect(stop.stderr).toContain(`a berth answers at ${box.url}, but it was not started by \`berth server start\``);
      expect(stop.stderr).toContain('hint: stop it where it runs');
      const viaUrl = await runBerth(['--url', box.url, 'server', 'stop'], bare);
      expect(viaUrl.code).toBe(1);
      expect((await fetch(`${box.url}/ready`)).status).toBe(200);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
