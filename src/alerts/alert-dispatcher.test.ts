import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/logger.js';
import { AlertDispatcher, type Alert, type AlertSender, type DeliveryResult } from './alert-dispatcher.js';

const logger = createLogger('silent');
const settle = async () => { for (let i = 0; i < 20; i++) await Promise.resolve(); };

function alert(event: string, name = 'acme'): Alert {
  return { event, at: '2026-01-01T00:00:00.000Z', instance: { id: `id-${name}`, name, tenant: name, plan: 'starter' }, status: event, message: `${name} ${event}` };
}

/** A sender whose answers the test scripts: a status, 'error', or 'hang'. */
function scripted(answers: Array<number | 'error' | 'hang'>) {
  const sent: Array<{ url: string; body: Record<string, unknown> }> = [];
  const send: AlertSender = (url, body, signal) => {
    sent.push({ url, body: JSON.parse(body) as Record<string, unknown> });
    const answer = answers.shift() ?? 200;
    if (answer === 'error') return Promise.reject(new Error('ECONNREFUSED'));
    if (answer === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    return Promise.resolve(answer);
  };
  return { sent, send };
}

describe('alert dispatcher', () => {
  it('posts a JSON payload to each webhook that asked for the event', async () => {
    const clock = new ManualClock();
    const { sent, send } = scripted([]);
    const dispatcher = new AlertDispatcher({
      clock, logger, send,
      webhooks: [{ url: 'http://a/hook', events: ['crashloop', 'failed'] }, { url: 'http://b/hook', events: ['*'] }],
    });
    dispatcher.notify(alert('crashloop'));
    dispatcher.notify(alert('recovered'));
    await settle();
    expect(sent.map((s) => `${s.url} ${String(s.body.event)}`)).toEqual(['http://a/hook crashloop', 'http://b/hook crashloop', 'http://b/hook recovered']);
    expect(sent[0]!.body).toMatchObject({ event: 'crashloop', instance: { name: 'acme', tenant: 'acme' }, source: 'berth' });
    expect(dispatcher.pending).toBe(0);
  });

  it('retries failures with growing backoff and gives up after maxAttempts', async () => {
    const clock = new ManualClock();
    const { sent, send } = scripted(['error', 503, 'hang', 200]);
    const results: DeliveryResult[] = [];
    const dispatcher = new AlertDispatcher({
      clock, logger, send, random: () => 1, baseDelayMs: 1000, timeoutMs: 5000, maxAttempts: 5,
      webhooks: [{ url: 'http://a/hook', events: ['failed'] }], onResult: (_e, r) => results.push(r),
    });
    dispatcher.notify(alert('failed'));
    await settle();
    expect(sent).toHaveLength(1);
    clock.advance(999);
    await settle();
    expect(sent).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(sent).toHaveLength(2); // after 1 s
    clock.advance(2000);
    await settle();
    expect(sent).toHaveLength(3); // after 2 s more; this one hangs until the timeout
    clock.advance(5000);
    await settle();
    clock.advance(4000);
    await settle();
    expect(sent).toHaveLength(4);
    expect(results).toEqual(['retried', 'retried', 'retried', 'delivered']);

    const second = scripted([500, 500, 500]);
    const failing = new AlertDispatcher({ clock, logger, send: second.send, random: () => 1, maxAttempts: 3, webhooks: [{ url: 'http://a/hook', events: ['failed'] }], onResult: (_e, r) => results.push(r) });
    failing.notify(alert('failed'));
    for (let i = 0; i < 10; i++) { clock.advance(10_000); await settle(); }
    expect(second.sent).toHaveLength(3);
    expect(results.slice(4)).toEqual(['retried', 'retried', 'failed']);
  });

  it('does not retry a 4xx answer', async () => {
    const clock = new ManualClock();
    const { sent, send } = scripted([404]);
    const results: DeliveryResult[] = [];
    const dispatcher = new AlertDispatcher({ clock, logger, send, webhooks: [{ url: 'http://a/hook', events: ['*'] }], onResult: (_e, r) => results.push(r) });
    dispatcher.notify(alert('failed'));
    await settle();
    clock.advance(120_000);
    await settle();
    expect(sent).toHaveLength(1);
    expect(results).toEqual(['failed']);
  });

  it('never blocks the caller and keeps a bounded queue, dropping the oldest', async () => {
    const clock = new ManualClock();
    const { sent, send } = scripted(Array.from({ length: 100 }, () => 'hang' as const));
    const results: DeliveryResult[] = [];
    const dispatcher = new AlertDispatcher({ clock, logger, send, concurrency: 1, maxQueue: 5, webhooks: [{ url: 'http://a/hook', events: ['*'] }], onResult: (_e, r) => results.push(r) });
    const started = performance.now();
    for (let i = 0; i < 50; i++) dispatcher.notify(alert('crashloop', `t${i}`));
    expect(performance.now() - started).toBeLessThan(200);
    await settle();
    expect(sent).toHaveLength(1);
    expect(dispatcher.pending).toBeLessThanOrEqual(6);
    expect(results.filter((r) => r === 'dropped')).toHaveLength(44);
    await dispatcher.stop();
    expect(dispatcher.pending).toBe(0);
  });
});
