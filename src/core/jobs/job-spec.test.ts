import { describe, expect, it } from 'vitest';
import { isBerthError } from '../../common/errors.js';
import { sameSpec, validateJobSpec, type JobInput } from './job-spec.js';

const limits = { defaultTimeoutSeconds: 60, plans: ['starter', 'pro'] };
const base: JobInput = { name: 'nightly-restart', schedule: '0 3 * * *', target: { instance: 'acme' }, action: { type: 'restart' } };

function fieldOf(input: JobInput): string | undefined {
  try {
    validateJobSpec(input, limits);
  } catch (error) {
    if (isBerthError(error) && error.code === 'INVALID_INPUT') return error.field;
    throw error;
  }
  return undefined;
}

describe('validateJobSpec', () => {
  it('fills defaults: UTC, enabled, skip policies, the configured timeout', () => {
    expect(validateJobSpec(base, limits)).toEqual({
      name: 'nightly-restart', schedule: '0 3 * * *', timezone: 'UTC', target: { instance: 'acme' }, action: { type: 'restart' },
      enabled: true, missedPolicy: 'skip', overlapPolicy: 'skip', timeoutSeconds: 60,
    });
  });

  it('accepts seconds, time zones and each action', () => {
    const exec = validateJobSpec({ ...base, schedule: ' */2  * * * * * ', timezone: 'Europe/Paris', action: { type: 'exec', command: ['sh', '-c', 'echo hi'], timeoutSeconds: 5 } }, limits);
    expect(exec.schedule).toBe('*/2 * * * * *');
    expect(exec.action).toEqual({ type: 'exec', command: ['sh', '-c', 'echo hi'], timeoutSeconds: 5 });
    const http = validateJobSpec({ ...base, target: { plan: 'pro' }, action: { type: 'http', method: 'post', path: '/tasks/nightly', body: { a: 1 } } }, limits);
    expect(http.action).toEqual({ type: 'http', method: 'POST', path: '/tasks/nightly', body: { a: 1 }, timeoutSeconds: 60 });
    // A long action timeout raises the run timeout so it can be reached.
    expect(validateJobSpec({ ...base, action: { type: 'exec', command: ['true'], timeoutSeconds: 600 } }, limits).timeoutSeconds).toBe(600);
  });

  it('names the field at fault', () => {
    expect(fieldOf({ ...base, name: 'Nightly Restart' })).toBe('name');
    expect(fieldOf({ ...base, schedule: 'every night' })).toBe('schedule');
    expect(fieldOf({ ...base, schedule: '61 * * * *' })).toBe('schedule');
    expect(fieldOf({ ...base, schedule: '0 0 30 2 *' })).toBe('schedule');
    expect(fieldOf({ ...base, timezone: 'Mars/Olympus' })).toBe('timezone');
    expect(fieldOf({ ...base, target: {} })).toBe('target');
    expect(fieldOf({ ...base, target: { instance: 'a', tenant: 'b' } })).toBe('target');
    expect(fieldOf({ ...base, target: { plan: 'platinum' } })).toBe('target.plan');
    expect(fieldOf({ ...base, target: { tenant: 'Not A Slug' } })).toBe('target.tenant');
    expect(fieldOf({ ...base, action: { type: 'reboot' } })).toBe('action.type');
    expect(fieldOf({ ...base, action: { type: 'exec', command: [] } })).toBe('action.command');
    expect(fieldOf({ ...base, action: { type: 'exec', command: ['', 'x'] } })).toBe('action.command.0');
    expect(fieldOf({ ...base, action: { type: 'exec', command: ['true'], timeoutSeconds: 0 } })).toBe('action.timeoutSeconds');
    expect(fieldOf({ ...base, action: { type: 'http', path: 'http://evil.example/' } })).toBe('action.path');
    expect(fieldOf({ ...base, action: { type: 'http', path: '//evil.example/' } })).toBe('action.path');
    expect(fieldOf({ ...base, action: { type: 'http', method: 'TRACE', path: '/' } })).toBe('action.method');
    expect(fieldOf({ ...base, action: { type: 'http', path: '/', body: 'x' } })).toBe('action.body');
    expect(fieldOf({ ...base, action: { type: 'restart', command: ['x'] } })).toBe('action.command');
    expect(fieldOf({ ...base, missedPolicy: 'always' })).toBe('missedPolicy');
    expect(fieldOf({ ...base, overlapPolicy: 'queue' })).toBe('overlapPolicy');
    expect(fieldOf({ ...base, timeoutSeconds: 1.5 })).toBe('timeoutSeconds');
  });

  it('compares specs field by field, whatever the key order', () => {
    const a = validateJobSpec({ ...base, action: { type: 'http', path: '/x', method: 'POST', body: { b: 1, a: 2 } } }, limits);
    const b = validateJobSpec({ ...base, action: { method: 'POST', type: 'http', path: '/x', body: { a: 2, b: 1 } } }, limits);
    expect(sameSpec(a, b)).toBe(true);
    expect(sameSpec(a, { ...b, schedule: '0 4 * * *' })).toBe(false);
  });

  it('snapshot: mode pause by default or stop; nothing else applies to it', () => {
    expect(validateJobSpec({ ...base, action: { type: 'snapshot' } }, limits).action).toEqual({ type: 'snapshot', mode: 'pause' });
    expect(validateJobSpec({ ...base, action: { type: 'snapshot', mode: 'stop' } }, limits).action).toEqual({ type: 'snapshot', mode: 'stop' });
    expect(fieldOf({ ...base, action: { type: 'snapshot', mode: 'freeze' } })).toBe('action.mode');
    expect(fieldOf({ ...base, action: { type: 'snapshot', command: ['x'] } })).toBe('action.command');
    expect(fieldOf({ ...base, action: { type: 'restart', mode: 'pause' } })).toBe('action.mode');
  });
});
