import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchAbort } from './abort.js';
import { appendHistory, flatten, loadAvg } from './history.js';
import type { MachineInfo } from './machine.js';

/** One scenario's output: a markdown table for people, data for the JSON file. */
export interface Section {
  id: string;
  title: string;
  /** Counts used, methods, caveats: printed under the title. */
  notes: string[];
  table: string;
  data: unknown;
}

/** Collects sections as scenarios finish; prints each at once, writes the JSON at the end. */
export class Report {
  readonly sections: Section[] = [];
  readonly errors: Array<{ scenario: string; message: string }> = [];

  constructor(
    private readonly meta: { runId: string; mode: string; args: string[]; startedAt: string; machine: MachineInfo },
    private readonly out: (text: string) => void,
  ) {}

  add(section: Section): void {
    if (benchAbort.signal.aborted) return; // an interrupted run prints no half-measured tables
    this.sections.push(section);
    this.out(render(section));
  }

  fail(scenario: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.errors.push({ scenario, message });
    this.out(`\n### ${scenario}: FAILED\n\n${message}\n`);
  }

  markdown(): string {
    return this.sections.map(render).join('\n');
  }

  /** Adds this run's figures to the committed history (bench/history.jsonl) that bench:compare reads. */
  appendHistory(file: string): void {
    if (!this.sections.length) return;
    appendHistory(file, { runId: this.meta.runId, mode: this.meta.mode, startedAt: this.meta.startedAt, loadAvg: loadAvg(), metrics: flatten(this.sections) });
  }

  /** Writes bench/results/<time>-<mode>.json and latest-<mode>.json; returns the first path. */
  write(dir: string): string {
    mkdirSync(dir, { recursive: true });
    const stamp = this.meta.startedAt.replace(/[:.]/g, '-');
    const body = JSON.stringify({ ...this.meta, finishedAt: new Date().toISOString(), sections: this.sections, errors: this.errors }, null, 2);
    const file = path.join(dir, `${stamp}-${this.meta.mode}.json`);
    writeFileSync(file, body);
    writeFileSync(path.join(dir, `latest-${this.meta.mode}.json`), body);
    return file;
  }
}

function render(section: Section): string {
  const notes = section.notes.length ? `${section.notes.map((n) => `- ${n}`).join('\n')}\n\n` : '';
  return `\n### ${section.title}\n\n${notes}${section.table}\n`;
}
