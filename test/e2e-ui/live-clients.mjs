/* global process, console, fetch, setTimeout, performance, Buffer, AbortController */
// K dashboard-like clients in their own process (so their CPU is not the daemon's): `poll` reads
// GET /v1/instances?limit=1000 every 2 s with If-None-Match, `sse` holds GET /v1/events/stream.
// Prints {requests, notModified, bytes} as JSON after `seconds`.
// Usage: node live-clients.mjs <url> <token> <poll|sse> <clients> <seconds>
const [url, token, mode, clients, seconds] = process.argv.slice(2);
const until = performance.now() + Number(seconds) * 1000;
const auth = { authorization: `Bearer ${token}` };
const totals = { requests: 0, notModified: 0, bytes: 0 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function poller() {
  let etag = null;
  while (performance.now() < until) {
    const start = performance.now();
    const res = await fetch(`${url}/v1/instances?limit=1000`, { headers: etag ? { ...auth, 'if-none-match': etag } : auth });
    const body = Buffer.from(await res.arrayBuffer());
    totals.requests++;
    if (res.status === 304) totals.notModified++;
    else etag = res.headers.get('etag');
    totals.bytes += body.length;
    await sleep(Math.max(0, 2000 - (performance.now() - start)));
  }
}

async function streamer() {
  const abort = new AbortController();
  const res = await fetch(`${url}/v1/events/stream`, { headers: auth, signal: abort.signal });
  totals.requests++;
  if (res.status !== 200) throw new Error(`stream answered ${res.status}`);
  const reader = res.body.getReader();
  const stop = sleep(Math.max(0, until - performance.now())).then(() => abort.abort());
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      totals.bytes += value.length;
    }
  } catch {
    // aborted at the end of the window
  }
  await stop;
}

await Promise.all(Array.from({ length: Number(clients) }, () => (mode === 'sse' ? streamer() : poller())));
console.log(JSON.stringify(totals));
