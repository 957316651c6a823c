// Runs as `unshare -n node loopback-forwarder.mjs SOCKET`: the first process of a fresh network
// namespace that has nothing but loopback. It brings `lo` up, checks that no other interface or route
// exists, and listens on 127.0.0.1 inside the namespace, relaying every TCP connection to the Unix
// socket SOCKET, where the test's fake model server listens. A Unix socket is a file, not a network
// address, so it is the only way out of the namespace, and it leads to the fake server alone.
// A CLI under test joins this namespace with `nsenter --net=/proc/PID/ns/net`.
// Prints one JSON line {port, interfaces, routes} on stdout once ready; exits when stdin closes.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: unshare -n node loopback-forwarder.mjs SOCKET\n');
  process.exit(2);
}

execFileSync('ip', ['link', 'set', 'lo', 'up']);
// Interface names from /proc/net/dev (two header lines, then "name: counters").
const interfaces = readFileSync('/proc/net/dev', 'utf8')
  .split('\n')
  .slice(2)
  .map((line) => line.split(':')[0].trim())
  .filter(Boolean);
const routes = ['-4', '-6'].flatMap((family) =>
  execFileSync('ip', [family, 'route', 'show', 'table', 'all'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean),
);
const outside = interfaces.filter((name) => name !== 'lo');
const foreignRoutes = routes.filter((route) => !/\bdev lo\b/.test(route));
if (outside.length > 0 || foreignRoutes.length > 0) {
  process.stderr.write(`not an isolated namespace: interfaces ${outside.join(',')} routes ${foreignRoutes.join(' | ')}\n`);
  process.exit(3);
}

const server = createServer({ noDelay: true }, (inbound) => {
  const outbound = connect(socketPath);
  inbound.pipe(outbound);
  outbound.pipe(inbound);
  const close = () => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.on('error', close);
  outbound.on('error', close);
  inbound.on('close', close);
  outbound.on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, interfaces, routes, netns: readlinkSync('/proc/self/ns/net') })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
