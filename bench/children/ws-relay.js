// @ts-check
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
 * ws keeps the net.Socket under a WebSocket in `_socket` (not in @types/ws); the relay corks and
 * pauses it directly.
 * @typedef {import('ws').WebSocket & { _socket: import('node:net').Socket }} RawWebSocket
 */
/** @param {import('ws').WebSocket} ws */
const rawSocket = (ws) => /** @type {RawWebSocket} */ (ws)._socket;

/**
 * `pace: false` makes the relay forward blindly, as most do (the slow-dashboard scenario shows why not).
 * `cork: true` corks each consumer's socket until the end of the event-loop turn, so a turn's
 * messages leave in one write per consumer: not a baseline but a bound, what any relay that writes
 * once per turn could reach on this machine with no work of its own.
 */
/** @type {{ pace?: boolean, cork?: boolean }} */
const { pace = true, cork = false } = JSON.parse(process.argv[2] ?? '{}');
/** @type {Set<import('node:net').Socket>} */
const corked = new Set();
function uncorkAll() {
  for (const socket of corked) socket.uncork();
  corked.clear();
}
/**
 * @param {import('ws').WebSocket} consumer
 * @param {import('ws').RawData} data
 */
function forward(consumer, data) {
  if (cork && !corked.has(rawSocket(consumer))) {
    if (corked.size === 0) setImmediate(uncorkAll);
    rawSocket(consumer).cork();
    corked.add(rawSocket(consumer));
  }
  consumer.send(data, { binary: false });
}

/** @type {Set<import('ws').WebSocket>} */
const consumers = new Set();
/** @type {Set<import('ws').WebSocket>} */
const producers = new Set();
/** @type {Map<string | null, import('ws').WebSocket>} */
const peers = new Map();
const http = createServer((_req, res) => res.end());
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
const pacer = createPacer({
  consumers: () => consumers,
  buffered: (ws) => ws.bufferedAmount,
  producers: () => [...producers].map(rawSocket),
});

http.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
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
        const bytes = /** @type {Buffer} */ (data); // the default binaryType: always a Buffer
        /** @type {{ to: string }} */
        const { to } = JSON.parse(bytes.toString());
        if (to === '*') for (const p of peers.values()) p.send(data, { binary: false });
        else peers.get(to)?.send(data, { binary: false });
      });
    } else {
      consumers.add(ws);
      ws.on('close', () => consumers.delete(ws));
    }
  });
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(undefined)));
const { port } = /** @type {import('node:net').AddressInfo} */ (http.address());

const methods = {
  info: () => ({ port, wsUrl: `ws://127.0.0.1:${port}` }),
  counts: () => ({ consumers: consumers.size, producers: producers.size, peers: peers.size }),
};
/** @typedef {typeof methods} Methods */
serve(methods, {
  onExit: async () => {
    for (const ws of wss.clients) ws.terminate();
    http.close();
  },
});
