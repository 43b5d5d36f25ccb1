import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConnection } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { parseSince } from './commands/logs.js';
import { readyUrlFromLog } from './server-control.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveConnection', () => {
  it('takes the URL from --url, then BERTH_URL, then the default', () => {
    expect(resolveConnection({}, {}, dir).url).toBe('http://127.0.0.1:8081');
    expect(resolveConnection({}, { BERTH_URL: 'http://10.0.0.5:9000/' }, dir).url).toBe('http://10.0.0.5:9000');
    expect(resolveConnection({ url: 'https://berth.example' }, { BERTH_URL: 'http://x:1' }, dir).url).toBe('https://berth.example');
  });

  it('follows BERTH_HOST/BERTH_PORT (as `berth serve` does) when BERTH_URL is unset', () => {
    expect(resolveConnection({}, { BERTH_PORT: '18901' }, dir)).toMatchObject({ url: 'http://127.0.0.1:18901', urlSource: 'BERTH_HOST/BERTH_PORT' });
    expect(resolveConnection({}, { BERTH_HOST: '0.0.0.0', BERTH_PORT: '9' }, dir).url).toBe('http://127.0.0.1:9');
    expect(resolveConnection({}, { BERTH_HOST: '::1' }, dir).url).toBe('http://[::1]:8081');
    expect(resolveConnection({}, { BERTH_PORT: '18901', BERTH_URL: 'http://h:1' }, dir).url).toBe('http://h:1');
  });

  it('finds the address a running `berth server start` recorded next to its pid', async () => {
    const data = path.join(dir, 'recorded');
    mkdirSync(data, { recursive: true });
    // A live process whose command line says `serve`, as the daemon's does.
    const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'serve'], { stdio: 'ignore' });
    try {
      await new Promise((r) => fake.once('spawn', r));
      writeFileSync(path.join(data, 'berth.pid'), `${fake.pid}\n`);
      writeFileSync(path.join(data, 'berth.url'), `${fake.pid}\nhttp://127.0.0.1:18901\n`);
      expect(resolveConnection({ dataDir: data }, { BERTH_PORT: '7000' }, dir)).toMatchObject({ url: 'http://127.0.0.1:18901', urlSource: path.join(data, 'berth.url') });
      expect(resolveConnection({ dataDir: data }, { BERTH_URL: 'http://127.0.0.1:1' }, dir).url).toBe('http://127.0.0.1:1');
      // A record for another pid, or a dead daemon, fall back to the settings.
      writeFileSync(path.join(data, 'berth.url'), `${(fake.pid ?? 0) + 1}\nhttp://127.0.0.1:18901\n`);
      expect(resolveConnection({ dataDir: data }, {}, dir).url).toBe('http://127.0.0.1:8081');
    } finally {
      fake.kill('SIGKILL');
    }
    await new Promise((r) => fake.once('exit', r));
    writeFileSync(path.join(data, 'berth.url'), `${fake.pid}\nhttp://127.0.0.1:18901\n`);
    expect(resolveConnection({ dataDir: data }, {}, dir).url).toBe('http://127.0.0.1:8081');
  });

  it('rejects what is not an http(s) URL as a usage error', () => {
    expect(() => resolveConnection({ url: 'not a url' }, {}, dir)).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
    expect(() => resolveConnection({ url: 'ftp://x' }, {}, dir)).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
  });

  it('takes the token from --token, then BERTH_TOKEN, then <data dir>/admin.token', () => {
    const data = path.join(dir, 'data');
    const fs = { dataDir: data };
    expect(resolveConnection(fs, {}, dir)).toMatchObject({ token: undefined, tokenSource: 'none', dataDir: data });
    rmSync(data, { recursive: true, force: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(data, 'admin.token'), 'berth_file\n');
    expect(resolveConnection(fs, {}, dir)).toMatchObject({ token: 'berth_file', tokenSource: path.join(data, 'admin.token') });
    expect(resolveConnection(fs, { BERTH_TOKEN: 'berth_env' }, dir)).toMatchObject({ token: 'berth_env', tokenSource: 'BERTH_TOKEN' });
    expect(resolveConnection({ ...fs, token: 'berth_flag' }, { BERTH_TOKEN: 'berth_env' }, dir)).toMatchObject({ token: 'berth_flag', tokenSource: '--token' });
    // The data dir comes from BERTH_DATA_DIR when no flag is given, relative to the working dir.
    expect(resolveConnection({}, { BERTH_DATA_DIR: 'data' }, dir)).toMatchObject({ token: 'berth_file', dataDir: data });
  });
});


describe('small parsers', () => {
  it('parses --since as a duration ago, unix seconds or a time', () => {
    const now = Date.parse('2030-01-01T12:00:00Z');
    expect(parseSince('10m', now)).toBe(now / 1000 - 600);
    expect(parseSince('2h', now)).toBe(now / 1000 - 7200);
    expect(parseSince('1700000000', now)).toBe(1700000000);
    expect(parseSince('2030-01-01T11:00:00Z', now)).toBe(now / 1000 - 3600);
    expect(() => parseSince('yesterday', now)).toThrow(/not a duration/);
  });

  it('finds the URL in the daemon\'s "berth is ready" log line', () => {
    const log = ['{"msg":"boot phase http done"}', 'not json berth is ready', '{"level":30,"url":"http://127.0.0.1:41234","msg":"berth is ready"}'].join('\n');
    expect(readyUrlFromLog(log)).toBe('http://127.0.0.1:41234');
    expect(readyUrlFromLog('{"msg":"booting"}')).toBeUndefined();
  });
});
