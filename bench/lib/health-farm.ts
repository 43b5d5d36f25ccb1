/**
 * A child process answering `GET <any path>` with 200 on many loopback ports at once: the
 * stand-in tenants of `npm run bench:simulate` (thousands of real listening sockets without
 * thousands of containers). Ports come as a JSON array on stdin; it prints "ready" once all
 * listen. Default Node keep-alive (5 s), like the node test agent.
 */
import http from 'node:http';

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const ports = JSON.parse(input) as number[];
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
    res.end('{"ok":true}');
  };
  // A port some other process took since berth allocated it is left out and reported (its instance's probes fail).
  const busy: number[] = [];
  await Promise.all(ports.map((port) => new Promise<void>((resolve) => {
    const server = http.createServer(handler);
    server.once('error', () => {
      busy.push(port);
      resolve();
    });
    server.listen(port, '127.0.0.1', () => resolve());
  })));
  process.stdout.write(`ready ${JSON.stringify(busy)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`health-farm: ${String(error)}\n`);
  process.exit(1);
});
