// Baseline: a minimal relay written directly on `ws`, the practical limit of this machine.
//   /producer        every message is forwarded, as received (same Buffer), to every consumer
//   /consumer        receives only
//   /peer?id=X       JSON messages with a `to` field are routed to peer X, or to every peer for '*'
// No corking, no per-consumer queue, no validation: what one would write in an afternoon.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { createPacer } from '../lib/backpressure.js';
import { serve } from '../lib/rpc.js';

/**
 * `pace: false` makes the relay forward blindly, as most do (the slow-dashboard scenario shows why not).
 * `cork: true` corks each consumer's socket until the end of the event-loop turn, so a turn's
 * messages leave in one write per consumer: not a baseline but a bound, what any relay that writes
 * once per turn could reach on this machine with no work of its own.
 */
const { pace = true, cork = false } = JSON.parse(process.argv[2] ?? '{}');
const corked = new Set();
function uncorkAll() {
  for (const socket of corked) socket.uncork();
  corked.clear();
}
function forward(consumer, data) {
  if (cork && !corked.has(consumer._socket)) {
    if (corked.size === 0) setImmediate(uncorkAll);
    consumer._socket.cork();
    corked.add(consumer._socket);
  }
  consumer.send(data, { binary: false });
}

const consumers = new Set();
const producers = new Set();
const peers = new Map();
const http = createServer((_req, res) => res.end());
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
const pacer = createPacer({
  consumers: () => consumers,
  buffered: (ws) => ws.bufferedAmount,
  producers: () => [...producers].map((ws) => ws._socket),
});

http.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => undefined);
    if (url.pathname === '/producer') {
      producers.add(ws);
      ws.on('close', () => producers.delete(ws));
      ws.on('message', (data) => {
        for (const c of consumers) forward(c, data);
        if (pace) pacer.afterForward();
      });
    } else if (url.pathname === '/peer') {
      const id = url.searchParams.get('id');
      peers.set(id, ws);
      ws.on('close', () => peers.delete(id));
      ws.on('message', (data) => {
        const { to } = JSON.parse(data);
        if (to === '*') for (const p of peers.values()) p.send(data, { binary: false });
        else peers.get(to)?.send(data, { binary: false });
      });
    } else {
      consumers.add(ws);
      ws.on('close', () => consumers.delete(ws));
    }
  });
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));

serve(
  {
    info: () => ({ port: http.address().port, wsUrl: `ws://127.0.0.1:${http.address().port}` }),
    counts: () => ({ consumers: consumers.size, producers: producers.size, peers: peers.size }),
  },
  {
    onExit: async () => {
      for (const ws of wss.clients) ws.terminate();
      http.close();
    },
  },
);
