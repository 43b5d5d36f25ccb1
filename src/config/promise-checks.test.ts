import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './loader.js';
import { insecureTcpReason, isLoopback, isRootUser } from './promise-checks.js';

const cwd = tmpdir();
function refusal(flags: Record<string, string | number | boolean>, env: Record<string, string> = {}, yaml?: string): string {
  let configPath: string | undefined;
  if (yaml) {
    configPath = path.join(mkdtempSync(path.join(tmpdir(), 'berth-promise-')), 'berth.yml');
    writeFileSync(configPath, yaml);
  }
  try {
    loadConfig({ env, flags, cwd, ...(configPath ? { configPath } : {}) });
  } catch (error) {
    return (error as Error).message;
  }
  return '(accepted)';
}

describe('config that would break a promise is refused at boot', () => {
  it('refuses a root runtime.user unless runtime.allowRootUser', () => {
    expect(isRootUser('0')).toBe(true);
    expect(isRootUser('0:0')).toBe(true);
    expect(isRootUser('00:1000')).toBe(true);
    expect(isRootUser('1000:0')).toBe(false);
    const msg = refusal({}, {}, 'runtime:\n  user: "0"\n');
    expect(msg).toMatch(/^invalid config \(.*\): runtime\.user = "0": .*runtime\.allowRootUser/);
    expect(msg.split('\n')).toHaveLength(1);
    expect(refusal({ 'runtime.allowRootUser': true }, {}, 'runtime:\n  user: "0:0"\n')).toBe('(accepted)');
  });

  it('refuses a wildcard or non-loopback bindAddress unless runtime.publicBind', () => {
    for (const a of ['0.0.0.0', '::', '', '10.0.0.5', '192.168.1.2', 'example.com']) expect(isLoopback(a), a).toBe(false);
    for (const a of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) expect(isLoopback(a), a).toBe(true);
    expect(refusal({ 'runtime.bindAddress': '0.0.0.0' })).toMatch(/runtime\.bindAddress = "0\.0\.0\.0": .*runtime\.publicBind: true/);
    expect(refusal({}, { BERTH_BIND_ADDRESS: '10.1.2.3' })).toMatch(/runtime\.bindAddress/);
    expect(refusal({ 'runtime.bindAddress': '0.0.0.0', 'runtime.publicBind': true })).toBe('(accepted)');
  });

  it('refuses plain tcp:// to a remote engine unless docker.allowInsecureTcp, and accepts TLS or loopback', () => {
    expect(insecureTcpReason({ host: 'tcp://10.0.0.9:2375', tlsVerify: false })).toMatch(/unencrypted/);
    expect(insecureTcpReason({ host: 'tcp://127.0.0.1:2375', tlsVerify: false })).toBeUndefined();
    expect(insecureTcpReason({ host: 'tcp://10.0.0.9:2376', tlsVerify: true })).toBeUndefined();
    expect(insecureTcpReason({ host: 'unix:///var/run/docker.sock', tlsVerify: false })).toBeUndefined();
    expect(refusal({}, { DOCKER_HOST: 'tcp://10.0.0.9:2375' })).toMatch(/docker\.host = tcp:\/\/10\.0\.0\.9:2375: plain TCP .*DOCKER_TLS_VERIFY.*allowInsecureTcp/);
    expect(refusal({}, { DOCKER_HOST: 'tcp://10.0.0.9:2376', DOCKER_TLS_VERIFY: '1' })).toBe('(accepted)');
    expect(refusal({ 'docker.allowInsecureTcp': true }, { DOCKER_HOST: 'tcp://10.0.0.9:2375' })).toBe('(accepted)');
  });

  it('refuses mounts whose real path is, contains or is inside a host secret', () => {
    const mount = (source: string, extra = ''): string => refusal({}, {}, `runtime:\n  mounts:\n    - { source: "${source}", target: /x }\n${extra}`);
    expect(mount('/run')).toMatch(/runtime\.mounts\.0\.source = \/run: contains the engine socket/);
    expect(mount('/var/run')).toMatch(/runtime\.mounts\.0\.source/);
    expect(mount('/var')).toMatch(/contains/);
    expect(mount('/')).toMatch(/is the host root/);
    expect(mount('/etc')).toMatch(/is \/etc/);
    expect(mount('/etc/passwd')).toMatch(/is inside \/etc/);
    expect(mount('/proc')).toMatch(/\/proc/);
    expect(mount('/sys/fs')).toMatch(/\/sys/);
    expect(mount('/dev')).toMatch(/\/dev/);
    expect(mount('/run/containerd')).toMatch(/containerd/);
    // A symlink is judged by where it leads.
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-link-'));
    symlinkSync('/run', path.join(dir, 'innocent'));
    expect(mount(path.join(dir, 'innocent'))).toMatch(/really \/run/);
    // The data dir and what is below it.
    const data = mkdtempSync(path.join(tmpdir(), 'berth-data-'));
    expect(mount(data, `dataDir: "${data}"\n`)).toMatch(/berth's data dir/);
    expect(mount(path.join(data, 'sub'), `dataDir: "${data}"\n`)).toMatch(/is inside berth's data dir/);
    expect(mount(path.dirname(data), `dataDir: "${data}"\n`)).toMatch(/contains berth's data dir/);
    // An ordinary directory is fine.
    expect(mount(dir)).toBe('(accepted)');
  });

  it('refuses an egressAllow entry that is not a CIDR[:port]', () => {
    expect(refusal({}, {}, 'plans:\n  starter:\n    egressAllow: ["10.0.0.2/32:53", "192.168.0.0/16"]\n')).toBe('(accepted)');
    expect(refusal({}, {}, 'plans:\n  starter:\n    egressAllow: ["999.0.0.1/8"]\n')).toMatch(/plans\.starter\.egressAllow\.0 = 999\.0\.0\.1\/8/);
    expect(refusal({}, {}, 'plans:\n  starter:\n    egressAllow: ["10.0.0.0/8:70000"]\n')).toMatch(/egressAllow/);
  });
});
