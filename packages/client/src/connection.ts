import {
  CloseCode, ErrorCode, HeartbeatMonitor, toServerFromDashboard, type DashboardToServerPayloads, type DashboardToServerType,
  type Position, type ServerToDashboardMessage,
} from '@onsembl/protocol';
import { retryDelayMs, type ReconnectPolicy } from './backoff.js';
import { Timer, type Clock } from './clock.js';
import { ClientError } from './errors.js';
import { parseIncoming } from './parse.js';
import { SOCKET_OPEN, socketUrl, type AuthMode, type SocketEvent, type WebSocketConstructor, type WebSocketLike } from './socket.js';
import { ConnectionState, type ConnectionAck, type ConnectionStatus, type DisconnectReason } from './types.js';

export interface ConnectionOptions {
  url: string;
  token: string;
  auth: AuthMode;
  WebSocket: WebSocketConstructor;
  clientInfo: { name?: string; version?: string; userAgent?: string };
  clock: Clock;
  random: () => number;
  policy: ReconnectPolicy;
  heartbeatIntervalMs: number | undefined;
  heartbeatTimeoutMs: number | undefined;
  connectTimeoutMs: number;
  stableAfterMs: number;
}

export interface ConnectionHooks {
  status(status: ConnectionStatus): void;
  /** Every valid incoming message, `connection:ack` included, in order. */
  message(message: ServerToDashboardMessage): void;
  connected(ack: ConnectionAck, resumed: boolean): void;
  /** Derived state is stale and cannot be replayed (see ClientEvents.reset). */
  reset(): void;
  /** The socket is gone (drop, failure, close): requests in flight will not be answered. */
  lost(error: ClientError): void;
}

const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.authFailed, CloseCode.tokenExpired]);

/**
 * The connection state machine of spec "Connection Lifecycle": one socket at a time, the reconnect
 * schedule, heartbeats and dead-connection detection, and resume positions.
 */
export class Connection {
  #status: ConnectionStatus = {
    state: ConnectionState.DISCONNECTED, failures: 0, nextRetryAt: null, reason: 'closed',
    offerManualReconnect: false, lastError: null, tokenExpiresAt: null,
  };
  #socket: WebSocketLike | null = null;
  #acked = false;
  #everConnected = false;
  #resumeSent = false;
  #position: Position | null = null;
  #token: string;
  readonly #retry: Timer;
  readonly #connectTimeout: Timer;
  readonly #stable: Timer;
  readonly #heartbeat: HeartbeatMonitor;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.#token = opts.token;
    this.#retry = new Timer(opts.clock);
    this.#connectTimeout = new Timer(opts.clock);
    this.#stable = new Timer(opts.clock);
    this.#heartbeat = new HeartbeatMonitor(opts.clock, {
      beat: (sequence) => this.#sendRaw('heartbeat', { sequence }),
      dead: () => this.#lose(`no message from the server for ${this.#heartbeat.timeoutMs} ms`, CloseCode.heartbeatTimeout),
    });
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get position(): Position | null {
    return this.#position;
  }

  get token(): string {
    return this.#token;
  }

  setToken(token: string): void {
    this.#token = token;
  }

  setTokenExpiry(expiresAt: number): void {
    this.#update({ tokenExpiresAt: expiresAt });
  }

  /** Starts connecting unless already connected or trying. */
  connect(): void {
    if (this.#status.state !== ConnectionState.DISCONNECTED) return;
    this.#update({ state: ConnectionState.CONNECTING, failures: 0, reason: null, offerManualReconnect: false, nextRetryAt: null });
    this.#open();
  }

  /** Manual reconnect: try now with a fresh failure count (after giving up, an auth failure, or to skip a countdown). */
  reconnect(): void {
    if (this.#status.state === ConnectionState.CONNECTED) return;
    this.#retry.clear();
    this.#detach(CloseCode.normal, 'manual reconnect');
    const state = this.#status.state === ConnectionState.RECONNECTING ? ConnectionState.RECONNECTING : ConnectionState.CONNECTING;
    this.#update({ state, failures: 0, reason: null, offerManualReconnect: false, nextRetryAt: null });
    this.#open();
  }

  /**
   * A hint that the network may be back (the browser went online, the tab became visible or got
   * focus): while waiting for a scheduled retry, try now. The failure count is kept, so a hint that
   * was wrong costs one attempt and the schedule goes on where it was.
   */
  retrySoon(): void {
    if (this.#status.state !== ConnectionState.RECONNECTING || !this.#retry.armed) return;
    this.#retry.clear();
    this.#update({ nextRetryAt: null });
    this.#open();
  }

  /** Closes for good (until `connect()`/`reconnect()`). */
  close(): void {
    this.#retry.clear();
    this.#detach(CloseCode.normal, 'client closed');
    this.#update({ state: ConnectionState.DISCONNECTED, reason: 'closed', nextRetryAt: null, offerManualReconnect: false });
    this.hooks.lost(new ClientError('CLOSED', 'the client was closed'));
  }

  /** Sends a message on the acknowledged connection; throws ClientError NOT_CONNECTED otherwise. */
  send<K extends DashboardToServerType>(type: K, payload: DashboardToServerPayloads[K]): void {
    if (!this.#acked || this.#socket?.readyState !== SOCKET_OPEN) {
      throw new ClientError('NOT_CONNECTED', `cannot send ${type}: the dashboard is ${this.#status.state}`);
    }
    this.#sendRaw(type, payload);
  }

  #sendRaw<K extends DashboardToServerType>(type: K, payload: DashboardToServerPayloads[K]): void {
    this.#socket?.send(JSON.stringify(toServerFromDashboard(type, payload)));
  }

  #open(): void {
    const { opts } = this;
    this.#acked = false;
    this.#resumeSent = false;
    let socket: WebSocketLike;
    try {
      socket = new opts.WebSocket(socketUrl(opts.url, this.#token, opts.auth));
    } catch (error) {
      this.#attemptFailed(`cannot open ${opts.url}: ${(error as Error).message}`);
      return;
    }
    this.#socket = socket;
    this.#connectTimeout.set(opts.connectTimeoutMs, () => this.#lose(`no connection:ack within ${opts.connectTimeoutMs} ms`, CloseCode.connectTimeout));
    socket.addEventListener('open', () => socket === this.#socket && this.#onOpen());
    socket.addEventListener('message', (event) => socket === this.#socket && this.#onMessage(event));
    socket.addEventListener('close', (event) => socket === this.#socket && this.#onClose(event));
    // An 'error' is always followed by 'close', which does the bookkeeping.
    socket.addEventListener('error', () => undefined);
  }

  #onOpen(): void {
    // A query-mode socket is authenticated by its URL, and the server starts it (ack, fresh state)
    // before any message could ask to resume: such a client never resumes, and resets instead.
    if (this.opts.auth === 'query') return;
    const resume = this.#everConnected && this.#position ? this.#position : undefined;
    this.#resumeSent = resume !== undefined;
    this.#sendRaw('dashboard:connect', {
      token: this.#token,
      clientInfo: this.opts.clientInfo,
      ...(resume ? { resume } : {}),
    });
  }

  #onMessage(event: SocketEvent): void {
    const message = parseIncoming(event.data);
    if (!message) return;
    this.#heartbeat.received();
    if (message.position) this.#advance(message.position);
    if (message.type === 'connection:ack') this.#onAck(message.payload);
    if (message.type === 'error' && message.payload.code === ErrorCode.AUTH_FAILED) {
      this.hooks.message(message);
      this.#authFailed(message.payload.message);
      return;
    }
    this.hooks.message(message);
  }

  /** Positions only move forward within an epoch: a late event never makes the next resume repeat events. */
  #advance(position: Position): void {
    const current = this.#position;
    if (!current || current.epoch !== position.epoch || position.offset > current.offset) this.#position = position;
  }

  #onAck(ack: ConnectionAck): void {
    const { opts } = this;
    this.#connectTimeout.clear();
    this.#acked = true;
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    const resumed = this.#resumeSent && ack.recovered === true;
    if (!resumed) {
      this.#position = ack.position ?? null;
      if (reconnected) this.hooks.reset();
    }
    this.#heartbeat.start(
      opts.heartbeatIntervalMs ?? positive(ack.heartbeatIntervalMs),
      opts.heartbeatTimeoutMs ?? positive(ack.heartbeatTimeoutMs),
    );
    // A connection counts as healthy (failure count back to 0) once it has lasted a while; one that
    // drops right after its ack counts as a failure, so a flapping server backs off instead of looping.
    // With stableAfterMs 0 every acknowledged connection counts as healthy at once.
    if (opts.stableAfterMs > 0) this.#stable.set(opts.stableAfterMs, () => this.#update({ failures: 0 }));
    this.#update({
      state: ConnectionState.CONNECTED, nextRetryAt: null, reason: null, offerManualReconnect: false,
      lastError: null, tokenExpiresAt: ack.tokenExpiresAt ?? null, ...(opts.stableAfterMs > 0 ? {} : { failures: 0 }),
    });
    this.hooks.connected(ack, resumed);
  }

  #onClose(event: SocketEvent): void {
    const code = event.code ?? 1006;
    const why = `closed with code ${code}${event.reason ? ` (${event.reason})` : ''}`;
    if (AUTH_CLOSE_CODES.has(code)) {
      this.#authFailed(why);
      return;
    }
    this.#lose(why);
  }

  /** The current socket is gone (or must go): clean up and schedule the next attempt. */
  #lose(why: string, closeCode?: number): void {
    const wasAcked = this.#acked;
    const wasStable = wasAcked && !this.#stable.armed;
    this.#detach(closeCode ?? CloseCode.normal, why);
    this.hooks.lost(new ClientError('CONNECTION_LOST', `connection lost: ${why}`));
    if (wasStable) {
      // spec: "Immediate retry on disconnect".
      this.#update({ state: ConnectionState.RECONNECTING, failures: 0, nextRetryAt: this.opts.clock.now(), lastError: why });
      this.#open();
      return;
    }
    this.#attemptFailed(why);
  }

  #attemptFailed(why: string): void {
    const failures = this.#status.failures + 1;
    const { policy, clock, random } = this.opts;
    // Never give up: an outage of any length ends with a connection, without a click. Past
    // `maxFailures` the delay stays at its longest and a manual reconnect is offered beside it.
    const delay = retryDelayMs(failures, random, policy);
    this.#update({
      state: ConnectionState.RECONNECTING, failures, nextRetryAt: clock.now() + delay, lastError: why,
      offerManualReconnect: failures >= policy.maxFailures,
    });
    this.#retry.set(delay, () => {
      this.#update({ nextRetryAt: null });
      this.#open();
    });
  }

  #authFailed(why: string): void {
    this.#retry.clear();
    this.#detach(CloseCode.normal, 'auth failed');
    this.hooks.lost(new ClientError('CONNECTION_LOST', `authentication failed: ${why}`));
    this.#update({
      state: ConnectionState.DISCONNECTED, nextRetryAt: null, reason: 'auth-failed' satisfies DisconnectReason,
      offerManualReconnect: false, lastError: why,
    });
  }

  /** Forgets the current socket (its late events are ignored) and stops its timers. */
  #detach(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#acked = false;
    this.#connectTimeout.clear();
    this.#stable.clear();
    this.#heartbeat.stop();
    if (!socket) return;
    try {
      // Only 1000 and 3000-4999 may be sent by a client.
      socket.close(code === CloseCode.normal || (code >= 3000 && code <= 4999) ? code : CloseCode.normal, reason.slice(0, 120));
    } catch {
      // Closing a socket that never opened can throw in some implementations; it is gone either way.
    }
  }

  #update(patch: Partial<ConnectionStatus>): void {
    const next = { ...this.#status, ...patch };
    const changed = (Object.keys(next) as (keyof ConnectionStatus)[]).some((key) => next[key] !== this.#status[key]);
    if (!changed) return;
    this.#status = next;
    this.hooks.status(next);
  }
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}
