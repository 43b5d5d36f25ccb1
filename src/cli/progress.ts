import type { Writable } from 'node:stream';
import { stripAnsi, visibleWidth, type Colors } from './output.js';

export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Live progress for a wait. On a terminal: one spinner line redrawn in place with the current
 * status and elapsed time. Elsewhere (pipes, CI logs): a plain line each time the text changes.
 */
export class Progress {
  private frame = 0;
  private text = '';
  private lastPrinted = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly stream: Writable & { isTTY?: boolean; columns?: number },
    private readonly colors: Colors,
    private readonly interactive = stream.isTTY === true,
  ) {}

  update(text: string): void {
    this.text = text;
    if (this.interactive) {
      this.timer ??= setInterval(() => this.draw(), 80).unref();
      this.draw();
    } else if (text !== this.lastPrinted) {
      this.lastPrinted = text;
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the wait with its outcome: ✓ in green or ✗ in red. */
  finish(ok: boolean, text: string): void {
    this.stop();
    const mark = ok ? this.colors.green('✓') : this.colors.red('✗');
    this.stream.write(`${mark} ${text}\n`);
  }

  /** Clears the spinner line without a verdict (Ctrl-C, errors). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.interactive) this.stream.write('\r\x1b[2K');
  }

  elapsedSeconds(): string {
    return `${((Date.now() - this.startedAt) / 1000).toFixed(1)}s`;
  }

  private draw(): void {
    const spinner = this.colors.cyan(SPINNER_FRAMES[this.frame % SPINNER_FRAMES.length] ?? '');
    this.frame += 1;
    const elapsed = `(${this.elapsedSeconds()})`;
    // A line wider than the terminal wraps, and `\r` would then redraw only its last row.
    // Some ptys (CI, `script`) report 0 columns: that means unknown, not zero room.
    const room = (this.stream.columns || 80) - elapsed.length - 4;
    const text = visibleWidth(this.text) > room ? `${[...stripAnsi(this.text)].slice(0, Math.max(0, room - 1)).join('')}…` : this.text;
    this.stream.write(`\r\x1b[2K${spinner} ${text} ${this.colors.dim(elapsed)}`);
  }
}
