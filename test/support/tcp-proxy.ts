import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Destroys every connection through the proxy (both ends), as a network cut would. */
  cut(): number;
  /** While blocked, connections are cut and new ones are dropped at once (the network is down). */
  setBlocked(blocked: boolean): void;
  /**
   * Until `restore()`: bytes on every connection are dropped and new connections are refused, as
   * when the far side is unreachable; `silent` keeps new connections hanging instead of refused.
   */
  block(options?: { silent?: boolean }): void;
  /** Undoes `block()`: existing connections carry bytes again, new ones are let through. */
  restore(): void;
  /**
   * The connections open now stop carrying bytes for good, yet stay open (a peer that went silent,
   * a half-dead link); new connections work normally. Returns how many were stalled.
   */
  stall(): number;
  /**
   * Once: on the first connection that sends `armedBy` and later `on` (say an insert, then its
   * COMMIT), the request is delivered but its reply is lost and the connection cut, as when the
   * link dies between the two; the far side did the work and the client cannot know. Resolves
   * when that happened.
   */
  loseReply(options: { armedBy: string; on: string }): Promise<void>;
  /** How many connections are open through the proxy now. */
  readonly connections: number;
}

/** A loopback TCP proxy to cut or stall connections without touching the processes on either side. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const stalled = new WeakSet<Socket>();
  let blocked: { silent: boolean } | undefined;
  let loser: { armedBy: Buffer; on: Buffer; armed: WeakSet<Socket>; losing: WeakSet<Socket>; fired: () => void } | undefined;
  const held = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (blocked) {
      if (blocked.silent) held.add(client.on('error', () => client.destroy()).on('close', () => held.delete(client)));
      else client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Forwarded by hand (not pipe) so that block() can drop bytes while keeping both sockets open;
    // with backpressure, as pipe would.
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (d: Buffer) => {
        if (blocked || stalled.has(from)) return;
        if (loser && from === client) {
          if (loser.armed.has(client) && d.includes(loser.on)) loser.losing.add(upstream);
          else if (d.includes(loser.armedBy)) loser.armed.add(client);
        }
        if (loser?.losing.has(from)) {
          // The reply to the request: dropped, and the link cut.
          const done = loser.fired;
          loser = undefined;
          drop();
          done();
          return;
        }
        if (!to.write(d)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): number => {
    const n = pairs.size;
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
    return n;
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    setBlocked(value: boolean) {
      blocked = value ? { silent: false } : undefined;
      if (value) cut();
    },
    block: (options = {}) => void (blocked = { silent: options.silent ?? false }),
    stall: () => {
      for (const [a, b] of pairs) {
        stalled.add(a);
        stalled.add(b);
      }
      return pairs.size;
    },
    restore: () => {
      blocked = undefined;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    loseReply: ({ armedBy, on }) => new Promise<void>((resolve) => {
      loser = { armedBy: Buffer.from(armedBy), on: Buffer.from(on), armed: new WeakSet(), losing: new WeakSet(), fired: resolve };
    }),
    get connections() {
      return pairs.size;
    },
    async [Symbol.asyncDispose]() {
      cut();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
