import { describe, expect, it } from 'vitest';
import { EgressFirewall, rulesFor, type CommandRunner } from './egress-rules.js';

/** An in-memory iptables: enough of -S, -C, -I, -D for the firewall's logic. */
function fakeIptables(initial: Record<string, string[]>): { run: CommandRunner; chains: Record<string, string[]>; calls: string[][] } {
  const chains = structuredClone(initial);
  const calls: string[][] = [];
  const run: CommandRunner = async (_file, args) => {
    calls.push(args);
    const [, , op, chain, ...rest] = args; // -w 5 <op> <chain> ...
    const list = (chains[chain as string] ??= []);
    if (op === '-S') return { code: 0, stdout: list.map((r) => `-A ${chain} ${r}`).join('\n'), stderr: '' };
    if (op === '-I') { list.splice(0, 0, rest.slice(1).join(' ')); return { code: 0, stdout: '', stderr: '' }; }
    const i = list.indexOf(rest.join(' '));
    if (op === '-C') return { code: i >= 0 ? 0 : 1, stdout: '', stderr: '' };
    if (op === '-D') { if (i >= 0) list.splice(i, 1); return { code: i >= 0 ? 0 : 1, stdout: '', stderr: '' }; }
    return { code: 2, stdout: '', stderr: 'unknown' };
  };
  return { run, chains, calls };
}

describe('egress rules', () => {
  it('public: replies first, then allowed targets, then private, link-local and host addresses rejected', () => {
    const rules = rulesFor('br-abc', { mode: 'public', allow: ['10.9.0.0/16:443'] }, 'berth:s:n');
    const forward = rules.filter((r) => r.chain === 'DOCKER-USER').map((r) => r.spec.join(' '));
    expect(forward[0]).toMatch(/^-i br-abc -m conntrack --ctstate ESTABLISHED,RELATED .* -j RETURN$/);
    expect(forward[1]).toBe('-i br-abc -d 10.9.0.0/16 -p tcp --dport 443 -m comment --comment berth:s:n -j RETURN');
    expect(forward[2]).toBe('-i br-abc -d 10.9.0.0/16 -p udp --dport 443 -m comment --comment berth:s:n -j RETURN');
    expect(forward.some((r) => r.includes('169.254.0.0/16') && r.endsWith('REJECT'))).toBe(true);
    const input = rules.filter((r) => r.chain === 'INPUT').map((r) => r.spec.join(' '));
    expect(input[0]).toMatch(/ESTABLISHED,RELATED .* -j ACCEPT$/);
    expect(input.at(-1)).toBe('-i br-abc -m comment --comment berth:s:n -j REJECT');
    for (const r of rules) expect(r.spec.join(' ')).toContain('--comment berth:s:n');
    expect(rulesFor('br-abc', { mode: 'all', allow: [] }, 't')).toEqual([]);
    expect(rulesFor('br-abc', { mode: 'none', allow: [] }, 't').filter((r) => r.chain === 'DOCKER-USER').at(-1)?.spec.join(' ')).toBe('-i br-abc -m comment --comment t -j REJECT');
  });

  it('adds idempotently, keeps others\' rules, and removes only its own', async () => {
    const foreign = '-i bsw0 -o bsw0 -j ACCEPT';
    const ipt = fakeIptables({ 'DOCKER-USER': [foreign, '-j RETURN'], INPUT: ['-i lo -j ACCEPT', '-m comment --comment berth:other:x -j REJECT'] });
    const fw = new EgressFirewall(ipt.run);
    const n = await fw.apply('s', 'net1', 'br-1', { mode: 'public', allow: [] });
    expect(ipt.chains['DOCKER-USER']?.[0]).toMatch(/ESTABLISHED/);
    expect(ipt.chains['DOCKER-USER']?.slice(-2)).toEqual([foreign, '-j RETURN']);
    const inserts = ipt.calls.filter((c) => c[2] === '-I').length;
    expect(inserts).toBe(n);
    await fw.apply('s', 'net1', 'br-1', { mode: 'public', allow: [] });
    expect(ipt.calls.filter((c) => c[2] === '-I').length).toBe(inserts); // nothing added twice
    await fw.apply('s', 'net2', 'br-2', { mode: 'none', allow: [] });
    expect(await fw.remove('s', 'net1')).toBe(n);
    expect((await fw.list('s')).every((r) => r.spec.includes('berth:s:net2'))).toBe(true);
    await fw.remove('s');
    expect(ipt.chains['DOCKER-USER']).toEqual([foreign, '-j RETURN']);
    expect(ipt.chains.INPUT).toEqual(['-i lo -j ACCEPT', '-m comment --comment berth:other:x -j REJECT']);
    // Never a flush, never a delete of an untagged rule.
    expect(ipt.calls.some((c) => c.includes('-F') || c.includes('-X'))).toBe(false);
  });

  it('without an iptables binary, an `all` policy needs nothing and a restricting one fails loudly', async () => {
    const missing: CommandRunner = async () => ({ code: 127, stdout: '', stderr: 'spawn iptables ENOENT' });
    const fw = new EgressFirewall(missing);
    expect(await fw.apply('s', 'net', 'br-x', { mode: 'all', allow: [] })).toBe(0);
    expect(await fw.remove('s', 'net')).toBe(0);
    await expect(fw.apply('s', 'net', 'br-x', { mode: 'public', allow: [] })).rejects.toThrow(/iptables/);
  });
});
