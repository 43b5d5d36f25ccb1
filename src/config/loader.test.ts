import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './loader.js';
import { parseMemorySize } from './parse-size.js';

function withFile(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-cfg-'));
  const file = path.join(dir, 'berth.yml');
  writeFileSync(file, yaml);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('fills the documented defaults and shipped plans', () => {
    const { config } = loadConfig({ env: {}, cwd: tmpdir() });
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8081);
    expect(config.database.url).toBe('');
    expect(Object.keys(config.plans).sort()).toEqual(['business', 'pro', 'starter']);
    expect(config.plans.starter).toMatchObject({ cpus: 0.5, memory: '512MiB' });
    expect(config.plans.business?.pidsLimit).toBeGreaterThan(0);
    expect(config.dataDir).toBe(path.join(tmpdir(), 'data'));
  });

  it('layers file, then environment, then flags', () => {
    const file = withFile('server:\n  port: 9000\n  host: 0.0.0.0\nlog:\n  level: debug\n');
    const { config, source } = loadConfig({
      configPath: file,
      env: { BERTH_PORT: '9100', DATABASE_URL: 'postgres://u:p@127.0.0.1/db', BERTH_PORT_RANGE: '30000-30010' },
      flags: { 'server.port': 9200 },
    });
    expect(source).toBe(file);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.log.level).toBe('debug');
    expect(config.server.port).toBe(9200);
    expect(config.database.url).toMatch(/^postgres:/);
    expect(config.ports).toEqual({ start: 30000, end: 30010 });
  });

  it('merges plan overrides with shipped plans and accepts new ones', () => {
    const file = withFile('plans:\n  starter:\n    cpus: 0.25\n  gpu:\n    cpus: 4\n    memory: 8GiB\n    dedicatedNetwork: true\n');
    const { config } = loadConfig({ configPath: file, env: {} });
    expect(config.plans.starter).toMatchObject({ cpus: 0.25, memory: '512MiB' });
    expect(config.plans.gpu).toMatchObject({ cpus: 4, dedicatedNetwork: true, pidsLimit: 256 });
  });

  it('lets plans inherit top-level health and restart settings unless they override them', () => {
    const file = withFile('health:\n  intervalSeconds: 7\nplans:\n  pro:\n    health:\n      timeoutSeconds: 2\n');
    const { config } = loadConfig({ configPath: file, env: {} });
    expect(config.health.intervalSeconds).toBe(7);
    expect(config.health.timeoutSeconds).toBe(5);
    expect(config.plans.starter?.health).toBeUndefined();
    expect(config.plans.pro?.health).toEqual({ timeoutSeconds: 2 });
    expect(config.restart.baseDelaySeconds).toBe(10);
  });

  it('rejects a negative plan memory in one line naming key and value', () => {
    const message = errorOf(() => loadConfig({ configPath: withFile('plans:\n  starter:\n    memory: -1\n'), env: {} }));
    expect(message).toContain('plans.starter.memory = -1');
    expect(message).not.toContain('\n');
  });

  it('rejects an unknown key and lists the allowed ones', () => {
    const message = errorOf(() => loadConfig({ configPath: withFile('server:\n  prot: 1\n'), env: {} }));
    expect(message).toMatch(/unknown key.*server/);
    expect(message).toContain('port');
  });

  it('rejects a reversed port range', () => {
    const message = errorOf(() => loadConfig({ configPath: withFile('ports:\n  start: 30000\n  end: 20000\n'), env: {} }));
    expect(message).toContain('ports = 30000-20000');
  });

  it('names the env variable on a malformed value and never echoes a database password', () => {
    expect(errorOf(() => loadConfig({ env: { BERTH_PORT: 'abc' } }))).toContain('server.port = "abc"');
    expect(errorOf(() => loadConfig({ env: { DATABASE_URL: 'mysql://u:hunter2@x/db' } }))).not.toContain('hunter2');
  });
});

describe('parseMemorySize', () => {
  it.each([
    ['512MiB', 512 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['512m', 512 * 1024 ** 2],
    [256, 256 * 1024 ** 2],
    ['256', 256 * 1024 ** 2],
  ])('%s', (input, bytes) => expect(parseMemorySize(input)).toBe(bytes));
  it.each([[-1], ['-1'], ['0'], ['lots'], ['5xb']])('rejects %s', (input) => expect(parseMemorySize(input)).toBeUndefined());
});
