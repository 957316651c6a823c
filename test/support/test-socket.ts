import WebSocket from 'ws';
import { PROTOCOL_VERSION, type ServerToDashboardMessage } from '@onsembl/protocol';

type AnyMessage = { type: string; payload: Record<string, unknown>; position?: unknown } & Record<string, unknown>;
type Waiter = { match: (m: AnyMessage) => boolean; resolve: (m: AnyMessage) => void };

/**
 * A raw `ws` client for tests: records every message, waits for the ones a test expects, and sends
 * envelopes or raw bytes. Closes on dispose.
 */
export class TestSocket implements AsyncDisposable {
  readonly messages: AnyMessage[] = [];
  private readonly waiters = new Set<Waiter>();
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  private seen = 0;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as AnyMessage; // a Buffer: binaryType is nodebuffer
      this.messages.push(message);
      for (const w of this.waiters) {
        if (w.match(message)) {
          this.waiters.delete(w);
          w.resolve(message);
        }
      }
    });
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<TestSocket> {
    const socket = new TestSocket(new WebSocket(url, options));
    await socket.opened;
    return socket;
  }

  /** Resolves with the first message (already received or future) of `type` that matches. */
  waitFor<T extends string = ServerToDashboardMessage['type']>(
    type: T,
    predicate: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<AnyMessage> {
    const match = (m: AnyMessage) => m.type === type && predicate(m.payload);
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${type}; got: ${this.messages.map((m) => m.type).join(', ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The next message received from now on (not one already recorded). */
  next(type?: string, timeoutMs = 15_000): Promise<AnyMessage> {
    const start = this.messages.length;
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.messages.slice(start).find((x) => type === undefined || x.type === type);
        if (m) return resolve(m);
        if (Date.now() > deadline) return reject(new Error(`timed out waiting for next ${type ?? 'message'}`));
        setTimeout(check, 5);
      };
      const deadline = Date.now() + timeoutMs;
      check();
    });
  }

  /** Messages received since the last call to `drain`. */
  drain(): AnyMessage[] {
    const out = this.messages.slice(this.seen);
    this.seen = this.messages.length;
    return out;
  }

  send(type: string, payload: unknown, envelope: Record<string, unknown> = {}): void {
    this.ws.send(JSON.stringify({ version: PROTOCOL_VERSION, type, timestamp: Date.now(), payload, ...envelope }));
  }

  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: options.binary ?? false });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}

/** Opens an authenticated dashboard socket and waits for the handshake (ack, then agent:list). */
export async function openDashboard(wsUrl: string, token: string): Promise<TestSocket> {
  const socket = await TestSocket.open(`${wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`);
  await socket.waitFor('agent:list');
  return socket;
}
