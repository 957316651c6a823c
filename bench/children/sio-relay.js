// Peer baseline: the same relay on Socket.IO (default server options, websocket transport only on
// the clients). Roles come from the handshake query: producer, consumer, or peer with an id.
//   producer 'o' events go to the 'consumers' room (Socket.IO encodes a broadcast once and, without
//   permessage-deflate, pre-builds the WebSocket frame once); peer 'm' events are routed by `to`.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createPacer } from '../lib/backpressure.js';
import { serve } from '../lib/rpc.js';

/** `pace: false` makes the relay forward blindly, as most do (the slow-dashboard scenario shows why not). */
const { pace = true } = JSON.parse(process.argv[2] ?? '{}');

const http = createServer();
const io = new Server(http, { maxHttpBufferSize: 1024 * 1024, serveClient: false });
const consumers = new Set();
const producers = new Set();
const peers = new Map();

/** The `ws` socket under an engine.io websocket transport, and what waits above it. */
const wsOf = (s) => s.conn.transport.socket;
const pacer = createPacer({
  consumers: () => consumers,
  buffered: (s) => {
    let queued = wsOf(s)?.bufferedAmount ?? 0;
    for (const packet of s.conn.writeBuffer) queued += packet.data?.length ?? 0;
    return queued;
  },
  producers: () => [...producers].map((s) => wsOf(s)?._socket).filter(Boolean),
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
    socket.on('m', (message) => {
      if (message.to === '*') io.to('peers').emit('m', message);
      else peers.get(message.to)?.emit('m', message);
    });
    socket.join('peers');
  } else {
    consumers.add(socket);
    socket.on('disconnect', () => consumers.delete(socket));
    socket.join('consumers');
  }
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));

serve(
  {
    info: () => ({ port: http.address().port, url: `http://127.0.0.1:${http.address().port}` }),
    counts: () => ({ consumers: consumers.size, producers: producers.size, peers: peers.size }),
  },
  {
    onExit: async () => {
      io.disconnectSockets(true);
      await new Promise((resolve) => io.close(() => resolve()));
    },
  },
);
