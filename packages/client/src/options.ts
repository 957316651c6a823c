import { defaultReconnectPolicy, type ReconnectPolicy } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import type { ConnectionOptions } from './connection.js';
import type { FetchLike } from './history.js';
import type { AuthMode, WebSocketConstructor } from './socket.js';

export interface ClientOptions {
  /** The dashboard endpoint, e.g. `ws://localhost:3001/ws/dashboard`. */
  url: string;
  token: string;
  /** Default 'in-band' (token in the first message, never in a URL). */
  auth?: AuthMode;
  /** Default: the global `WebSocket` (browsers, Node 22+). Node 20 passes `ws`'s `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  clientInfo?: { name?: string; version?: string; userAgent?: string };
  clock?: Clock;
  /** Random source in [0, 1) for jitter and ids. */
  random?: () => number;
  reconnect?: Partial<ReconnectPolicy>;
  /** Override the heartbeat timings; by default the client follows the server's `connection:ack`. */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** An attempt without `connection:ack` after this long fails (default 10 s). */
  connectTimeoutMs?: number;
  /** A request without an answer after this long rejects with REQUEST_TIMEOUT (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * A connection that drops sooner than this after its `connection:ack` counts as a failed attempt
   * (no immediate retry, backoff); one that lasted this long resets the failure count (default 5 s).
   * Tests and chaos runs that drop connections on purpose set it low to reconnect at once.
   */
  stableAfterMs?: number;
  /** HTTP base of the history API (`client.history`); default: derived from `url` (ws→http, wss→https). */
  apiUrl?: string;
  /** `fetch` for the history API; default: the global one. */
  fetch?: FetchLike;
}

/** Defaults: in-band auth, global WebSocket, the protocol's reconnect policy, the server's heartbeat timings. */
export function resolveOptions(options: ClientOptions): ConnectionOptions & { requestTimeoutMs: number } {
  const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) throw new TypeError('no WebSocket implementation: pass options.WebSocket (e.g. from "ws")');
  return {
    url: options.url,
    token: options.token,
    auth: options.auth ?? 'in-band',
    WebSocket: WebSocketImpl,
    clientInfo: options.clientInfo ?? { name: '@onsembl/client' },
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    policy: { ...defaultReconnectPolicy, ...options.reconnect },
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    stableAfterMs: options.stableAfterMs ?? 5_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
  };
}
