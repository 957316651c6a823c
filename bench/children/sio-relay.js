// @ts-check
// Peer baseline: the same relay on Socket.IO (default server options, websocket transport only on
// the clients). Roles come from the handshake query: producer, consumer, or peer with an id.
//   producer 'o' events go to the 'consumers' room (Socket.IO encodes a broadcast once and, without
//   permessage-deflate, pre-builds the WebSocket frame once); peer 'm' events are routed by `to`.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createPacer } from '../lib/backpressure.js';
import { serve } from '../lib/rpc.js';

/** @typedef {import('socket.io').Socket} Socket */
/**
 * engine.io internals the pacer reads (not in its types): the `ws` socket under the websocket
 * transport, its net.Socket, and the packets waiting above it.
 * @typedef {{ transport: { socket?: { bufferedAmount: number, _socket?: import('node:net').Socket | null } }, writeBuffer: Array<{ data?: { length: number } }> }} EngineInternals
 */
/** A peer's routed message: `to` is a peer id, or '*' for every peer. @typedef {{ to: string }} PeerMessage */

/** `pace: false` makes the relay forward blindly, as most do (the slow-dashboard scenario shows why not). */
/** @type {{ pace?: boolean }} */
const { pace = true } = JSON.parse(process.argv[2] ?? '{}');

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 1024 * 1024, serveClient: false });
/** @type {Set<Socket>} */
const consumers = new Set();
/** @type {Set<Socket>} */
const producers = new Set();
/** @type {Map<unknown, Socket>} */
const peers = new Map();

/** @param {Socket} s */
const engineOf = (s) => /** @type {EngineInternals} */ (/** @type {unknown} */ (s.conn));
/**
 * The `ws` socket under an engine.io websocket transport, and what waits above it.
 * @param {Socket} s
 */
const wsOf = (s) => engineOf(s).transport.socket;
const pacer = createPacer({
  consumers: () => consumers,
  buffered: (s) => {
    let queued = wsOf(s)?.bufferedAmount ?? 0;
    for (const packet of engineOf(s).writeBuffer) queued += packet.data?.length ?? 0;
    return queued;
  },
  producers: () => [...producers].map((s) => wsOf(s)?._socket).filter((socket) => socket != null),
});

io.on('connection', (socket) => {
  const { role, id } = socket.handshake.query;
  if (role === 'producer') {
    producers.add(socket);
    socket.on('disconnect', () => producers.delete(socket));
    socket.on('o', (message) => {
      io.to('consumers').emit('o', message);
      if (pace) pacer.afterForward();
    });
  } else if (role === 'peer') {
    peers.set(id, socket);
    socket.on('disconnect', () => peers.delete(id));
    socket.on('m', (/** @type {PeerMessage} */ message) => {
      if (message.to === '*') io.to('peers').emit('m', message);
      else peers.get(message.to)?.emit('m', message);
    });
    void socket.join('peers'); // the in-memory adapter joins at once
  } else {
    consumers.add(socket);
    socket.on('disconnect', () => consumers.delete(socket));
    void socket.join('consumers');
  }
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(undefined)));
const { port } = /** @type {import('node:net').AddressInfo} */ (http.address());

const methods = {
  info: () => ({ port, url: `http://127.0.0.1:${port}` }),
  counts: () => ({ consumers: consumers.size, producers: producers.size, peers: peers.size }),
};
/** @typedef {typeof methods} Methods */
serve(methods, {
  onExit: async () => {
    io.disconnectSockets(true);
    await new Promise((resolve) => void io.close(() => resolve(undefined)));
  },
});
