import { PROTOCOL_VERSION, type Position, type ServerToDashboardPayloads, type ServerToDashboardType } from '@onsembl/protocol';
import type { SocketEvent, WebSocketLike } from '../socket.js';

type EventType = 'open' | 'message' | 'close' | 'error';
interface Sent {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * An in-memory WebSocket for unit tests: the test plays the server (open, send, close) and reads
 * what the client sent. Every instance is recorded in `FakeSocket.instances`, newest last.
 */
export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Sent[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | null = null;
  readonly #listeners = new Map<EventType, ((event: SocketEvent) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  addEventListener(type: EventType, listener: (event: SocketEvent) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  sentOfType(type: string): Sent[] {
    return this.sent.filter((message) => message.type === type);
  }

  // ----- the server's side -----

  open(): this {
    this.readyState = 1;
    this.#fire('open', {});
    return this;
  }

  receive<K extends ServerToDashboardType>(type: K, payload: ServerToDashboardPayloads[K], position?: Position): this {
    const message = { version: PROTOCOL_VERSION, type, timestamp: Date.now(), payload, ...(position ? { position } : {}) };
    this.#fire('message', { data: JSON.stringify(message) });
    return this;
  }

  ack(extra: Partial<ServerToDashboardPayloads['connection:ack']> = {}): this {
    return this.receive('connection:ack', {
      connectionId: 'conn-1', serverVersion: '0.1.0', heartbeatIntervalMs: 30_000, heartbeatTimeoutMs: 60_000, ...extra,
    });
  }

  /** The server (or the network) closes the socket. */
  drop(code = 1006, reason = ''): this {
    this.readyState = 3;
    this.#fire('error', {});
    this.#fire('close', { code, reason });
    return this;
  }

  #fire(type: EventType, event: SocketEvent): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}
