import { describe, expect, it } from 'vitest';
import { BerthError } from '../common/errors.js';
import type { RuntimeDriver, RuntimeEvent } from '../runtime/runtime-driver.js';
import { instrumentRuntime } from './instrumented-runtime.js';

/** Only the methods the test calls; the wrapper forwards by name. */
const fake = {
  name: 'docker',
  async ping() { throw new BerthError('RUNTIME_UNAVAILABLE', 'no engine'); },
  async imageExists(image: string) { return image === 'there'; },
  async *events(): AsyncGenerator<RuntimeEvent> {
    yield { type: 'die', containerId: 'c1', labels: {}, exitCode: 1, at: 1 };
    throw new BerthError('RUNTIME_UNAVAILABLE', 'stream dropped');
  },
} as unknown as RuntimeDriver;

describe('instrumentRuntime', () => {
  it('reports failed calls and stream errors by operation, passing results and errors through', async () => {
    const seen: string[] = [];
    const runtime = instrumentRuntime(fake, (op, error) => seen.push(`${op}:${(error as BerthError).code}`));
    expect(runtime.name).toBe('docker');
    expect(await runtime.imageExists('there')).toBe(true);
    await expect(runtime.ping()).rejects.toThrow('no engine');
    const got: string[] = [];
    await expect((async () => {
      for await (const e of runtime.events({}, new AbortController().signal)) got.push(e.type);
    })()).rejects.toThrow('stream dropped');
    expect(got).toEqual(['die']);
    expect(seen).toEqual(['ping:RUNTIME_UNAVAILABLE', 'events:RUNTIME_UNAVAILABLE']);
  });
});
