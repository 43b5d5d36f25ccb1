import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/cli/output.js';
import { SPINNER_FRAMES } from '../../src/cli/progress.js';
import { cliSandbox, type CliSandbox } from '../helpers/cli.js';
import { BERTH_BIN } from '../helpers/daemon-process.js';
import { testEnv } from '../helpers/env.js';

/**
 * A real terminal: tmux runs the CLI in a pane (a pty) and the test reads the screen as a
 * person would see it, with `capture-pane`.
 */
class Terminal {
  private readonly socket = `berth-cli-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly env: Record<string, string>) {}

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
  }

  open(): void {
    try {
      this.tmux('-V');
    } catch {
      throw new Error('tmux is not installed; `apt-get install -y tmux` (scripts/test.sh installs it on Debian as root)');
    }
    this.tmux('new-session', '-d', '-s', 'main', '-x', '160', '-y', '50', 'bash --norc --noprofile');
    this.tmux('set-option', '-t', 'main', 'remain-on-exit', 'on');
  }

  private runs = 0;

  /**
   * Types a command line, waits for it to finish (a marker unique to this run, so an earlier
   * command's output cannot be mistaken for it) and returns the screen and the exit code.
   */
  async run(line: string, onScreen?: (screen: string) => void, timeoutMs = 90_000): Promise<{ screen: string; code: number }> {
    const marker = `done-${++this.runs}`;
    this.type(`${line}; echo "[${marker} $?]"`);
    const pattern = new RegExp(`\\[${marker} (\\d+)\\]`);
    const screen = await this.waitFor((s) => pattern.test(s), timeoutMs, onScreen);
    return { screen, code: Number(pattern.exec(screen)?.[1]) };
  }

  type(line: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', line);
    this.tmux('send-keys', '-t', 'main', 'Enter');
  }

  /** The screen as text; with escapes=true, with the colour codes the terminal received. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'main', ...(escapes ? ['-e'] : []));
  }

  async waitFor(predicate: (screen: string) => boolean, timeoutMs = 60_000, onScreen?: (screen: string) => void): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      onScreen?.(screen);
      if (predicate(screen)) return screen;
      if (Date.now() > until) throw new Error(`the terminal never showed what was expected; it shows:\n${screen}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

describe(`berth in a terminal (${testEnv.store})`, () => {
  let box: CliSandbox;
  let term: Terminal;
  beforeAll(async () => {
    box = await cliSandbox();
    expect((await box.berth(['server', 'start'])).code).toBe(0);
    // `berth` on the PATH of the terminal's shell, as a person would have it.
    const bin = path.join(box.dataDir, 'berth');
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${BERTH_BIN}" "$@"\n`, { mode: 0o755 });
    term = new Terminal({ ...box.env, PATH: `${box.dataDir}:${box.env.PATH}`, TERM: 'xterm-256color', LANG: 'C.UTF-8' });
    term.open();
  });
  afterAll(async () => {
    term?.close();
    await box.berth(['server', 'stop']);
    await box.cleanup();
  });

  it('create --wait shows a spinner with the live status, then the outcome; ls draws an aligned, coloured table', async () => {
    // The agent takes 2 s to listen, so the wait is long enough to watch.
    const spinnerLines = new Set<string>();
    const { screen: done, code } = await term.run('berth create acme --plan starter --env BOOT_DELAY_MS=2000 --wait', (screen) => {
      for (const line of screen.split('\n')) if (SPINNER_FRAMES.some((f) => line.startsWith(`${f} acme: `))) spinnerLines.add(line.trim());
    });
    expect(code, done).toBe(0);
    expect(done).toMatch(/✓ acme is running at http:\/\/127\.0\.0\.1:\d+ \(\d+\.\ds\)/);
    // The spinner was redrawn in place: several frames were seen, each with the status and the time.
    const frames = new Set([...spinnerLines].map((l) => l[0]));
    expect(frames.size, [...spinnerLines].join('\n')).toBeGreaterThanOrEqual(2);
    // Each frame: the status, what the last health check said while starting, the time waited.
    for (const line of spinnerLines) expect(line).toMatch(/^. acme: (creating|starting|running)( — .+)? \(\d+\.\ds\)$/);
    expect([...spinnerLines].some((l) => l.includes('acme: starting'))).toBe(true);
    // …and nothing of it is left on the screen once it is done.
    expect(done.split('\n').filter((l) => SPINNER_FRAMES.some((f) => l.startsWith(f)))).toHaveLength(0);

    const { screen: table, code: lsCode } = await term.run('clear; berth ls');
    expect(lsCode).toBe(0);
    const rows = table.split('\n').filter((l) => l.trim() !== '');
    expect(rows[0]).toMatch(/^NAME {3}TENANT {3}PLAN {6}STATUS {4}URL {22}RESTARTS {3}AGE$/);
    expect(rows[1]).toMatch(/^acme {3}acme {5}starter {3}running {3}http:\/\/127\.0\.0\.1:\d{5} {10}0 {3}\d+s$/);
    expect(rows[1]!.indexOf('running')).toBe(rows[0]!.indexOf('STATUS'));
    const colours = term.screen(true);
    expect(colours).toContain('\x1b[32mrunning'); // green
    expect(colours).toContain('\x1b[1mNAME'); // bold header

    await term.run('clear; NO_COLOR=1 berth ls');
    const uncoloured = term.screen(true);
    expect(uncoloured).toContain('running');
    expect(uncoloured).not.toContain('\x1b[');
  });

  it('a pty that reports 0 columns (some CI runners, `script`) still shows the spinner text', async () => {
    // `script` gives the command a pty of its own; `stty cols 0` makes it report 0 columns.
    const line = `stty cols 0 rows 0; "${process.execPath}" "${BERTH_BIN}" create zero --plan starter --env BOOT_DELAY_MS=1500 --wait`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qfec', line, '/dev/null'], { env: { ...box.env, TERM: 'xterm-256color', LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`script exited ${code}: ${text}`));
      });
    });
    // Each redraw starts with a carriage return and a line clear; one of them carries the status.
    const draws = out.split('\r\x1b[2K').map((d) => stripAnsi(d));
    expect(draws.some((d) => /^. zero: (creating|starting)/.test(d)), JSON.stringify(draws.slice(0, 5))).toBe(true);
    expect(draws.some((d) => /^. … \(/.test(d))).toBe(false);
    expect(stripAnsi(out)).toMatch(/✓ zero is running at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('rm asks on a terminal: "n" keeps the instance, "y" deletes it', async () => {
    const kept = term.run('clear; berth rm acme');
    await term.waitFor((s) => s.includes('delete instance acme and its workspace data? [y/N]'));
    term.type('n');
    const refused = await kept;
    expect(refused.screen).toContain('error: not deleted');
    expect(refused.code).toBe(1);
    expect((await box.berth(['show', 'acme'])).code).toBe(0);

    const deleting = term.run('clear; berth rm acme');
    await term.waitFor((s) => s.includes('[y/N]') && !s.includes('not deleted'));
    term.type('y');
    const gone = await deleting;
    expect(gone.screen).toContain('✓ acme deleted');
    expect(gone.code).toBe(0);
    expect((await box.berth(['show', 'acme'])).code).toBe(3);
  });
});
