import { execFile } from 'node:child_process';
import { BerthError } from '../../common/errors.js';

export type EgressMode = 'all' | 'public' | 'none';

export interface EgressPolicy {
  mode: EgressMode;
  /** CIDR or CIDR:port entries opened despite the mode. */
  allow: string[];
}

/** Runs a program with an argv array (never a shell string) and reports how it ended. */
export type CommandRunner = (file: string, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const execFileRunner: CommandRunner = (file, args) => new Promise((resolve) => {
  execFile(file, args, { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
    const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 127) : 0;
    resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && !stderr ? error.message : '')) });
  });
});

/** Ranges `public` keeps tenants away from: private, shared (CGNAT), link-local (cloud metadata), multicast. */
export const NON_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '224.0.0.0/4'];

export interface Rule {
  chain: 'DOCKER-USER' | 'INPUT';
  /** The rule spec after the chain name, comment included. */
  spec: string[];
}

/** The comment every berth rule carries: scope and network, so berth finds (only) its own rules. */
export function ruleTag(scope: string, network: string): string {
  return `berth:${scope}:${network}`;
}

/** The policy recorded on a network's labels (berth.egress, berth.egress-allow), if any. */
export function policyFromLabels(labels: Record<string, string>): EgressPolicy | undefined {
  const mode = labels['berth.egress'];
  if (mode !== 'all' && mode !== 'public' && mode !== 'none') return undefined;
  return { mode, allow: (labels['berth.egress-allow'] ?? '').split(',').filter(Boolean) };
}

/** Matches for one egressAllow entry; a port opens it for TCP and UDP (a resolver on :53 needs both). */
function allowMatches(entry: string): string[][] {
  const m = /^([0-9a-fA-F.:]+\/\d{1,3})(?::(\d{1,5}))?$/.exec(entry);
  if (!m) throw new BerthError('INVALID_CONFIG', `egressAllow entry ${entry}: must be CIDR or CIDR:port`);
  const cidr = m[1] as string;
  return m[2] ? ['tcp', 'udp'].map((p) => ['-d', cidr, '-p', p, '--dport', m[2] as string]) : [['-d', cidr]];
}

/**
 * The rules for one tenant bridge, in the order they must sit at the top of their chain.
 * FORWARD traffic (other networks, metadata, the outside) is judged in DOCKER-USER; traffic to
 * the host's own addresses (the bridge gateway, where the engine's TCP port or berth's API may
 * listen) never passes FORWARD, so INPUT gets rules too. Replies to connections the host or a
 * published port opened are let through first.
 */
export function rulesFor(iface: string, policy: EgressPolicy, tag: string): Rule[] {
  if (policy.mode === 'all') return [];
  const c = ['-m', 'comment', '--comment', tag];
  const rules: Rule[] = [
    { chain: 'DOCKER-USER', spec: ['-i', iface, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', ...c, '-j', 'RETURN'] },
    ...policy.allow.flatMap(allowMatches).map((m): Rule => ({ chain: 'DOCKER-USER', spec: ['-i', iface, ...m, ...c, '-j', 'RETURN'] })),
  ];
  if (policy.mode === 'none') rules.push({ chain: 'DOCKER-USER', spec: ['-i', iface, ...c, '-j', 'REJECT'] });
  else for (const range of NON_PUBLIC) rules.push({ chain: 'DOCKER-USER', spec: ['-i', iface, '-d', range, ...c, '-j', 'REJECT'] });
  rules.push(
    { chain: 'INPUT', spec: ['-i', iface, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', ...c, '-j', 'ACCEPT'] },
    ...policy.allow.flatMap(allowMatches).map((m): Rule => ({ chain: 'INPUT', spec: ['-i', iface, ...m, ...c, '-j', 'ACCEPT'] })),
    { chain: 'INPUT', spec: ['-i', iface, ...c, '-j', 'REJECT'] },
  );
  return rules;
}

/**
 * berth's own iptables rules. It adds rules at the top of DOCKER-USER and INPUT, tagged with
 * its scope; it checks before adding (idempotent) and deletes only rules carrying its tag —
 * never a flush, never a rule someone else added.
 */
export class EgressFirewall {
  constructor(private readonly run: CommandRunner = execFileRunner, private readonly binary = 'iptables') {}

  /** Makes the bridge's rules exactly `rulesFor(...)`, in order. */
  async apply(scope: string, network: string, iface: string, policy: EgressPolicy): Promise<number> {
    const tag = ruleTag(scope, network);
    const wanted = rulesFor(iface, policy, tag);
    // iptables prints rules in its own normal form, so presence is asked of iptables (-C).
    const present = await this.tagged(tag);
    if (present.length === wanted.length) {
      let all = true;
      for (const rule of wanted) {
        if ((await this.run(this.binary, ['-w', '5', '-C', rule.chain, ...rule.spec])).code !== 0) {
          all = false;
          break;
        }
      }
      if (all) return wanted.length;
    }
    await this.removeTagged(tag);
    // Inserted at position 1 in reverse, so they end up at the top in the order given.
    for (const chain of ['DOCKER-USER', 'INPUT'] as const) {
      for (const rule of wanted.filter((r) => r.chain === chain).reverse()) await this.must(['-w', '5', '-I', chain, '1', ...rule.spec]);
    }
    return wanted.length;
  }

  /** Removes the rules of one network (its tag), or of a whole scope (`network` omitted). */
  async remove(scope: string, network?: string): Promise<number> {
    return this.removeTagged(network === undefined ? `berth:${scope}:` : ruleTag(scope, network), network === undefined);
  }

  /** berth's rules on this host, by chain, for `berth doctor` and /health. */
  async list(scope?: string): Promise<Rule[]> {
    return this.tagged(scope === undefined ? 'berth:' : `berth:${scope}:`, true);
  }

  private async removeTagged(tag: string, prefix = false): Promise<number> {
    let removed = 0;
    for (const rule of await this.tagged(tag, prefix)) {
      const res = await this.run(this.binary, ['-w', '5', '-D', rule.chain, ...rule.spec]);
      if (res.code === 0) removed++;
    }
    return removed;
  }

  /** Rules whose comment is `tag` (or starts with it), in chain order. */
  private async tagged(tag: string, prefix = false): Promise<Rule[]> {
    const out: Rule[] = [];
    for (const chain of ['DOCKER-USER', 'INPUT'] as const) {
      const res = await this.run(this.binary, ['-w', '5', '-S', chain]);
      // No iptables at all (berth in its own container): no rule of berth's can exist, so an
      // `all` policy needs nothing; adding a rule still fails loudly.
      if (res.code === 127) return out;
      if (res.code !== 0) {
        if (/No chain|does not exist/i.test(res.stderr)) continue;
        throw new BerthError('RUNTIME_ERROR', `egress rules: ${this.binary} -S ${chain} failed: ${res.stderr.trim().split('\n')[0]}`);
      }
      for (const line of res.stdout.split('\n')) {
        const words = line.trim().split(/\s+/);
        if (words[0] !== '-A' || words[1] !== chain) continue;
        const i = words.indexOf('--comment');
        const comment = i >= 0 ? words[i + 1]?.replace(/^"|"$/g, '') : undefined;
        if (comment === undefined || !(prefix ? comment.startsWith(tag) : comment === tag)) continue;
        out.push({ chain, spec: words.slice(2).map((w) => w.replace(/^"|"$/g, '')) });
      }
    }
    return out;
  }

  private async must(args: string[]): Promise<void> {
    const res = await this.run(this.binary, args);
    if (res.code !== 0) {
      throw new BerthError('RUNTIME_ERROR', `egress rules: ${this.binary} ${args.join(' ')} failed (${res.stderr.trim().split('\n')[0] || `exit ${res.code}`}); berth needs root and iptables to enforce plan egress, or set the plan's egress: all`);
    }
  }
}
