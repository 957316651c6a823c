import { Endpoint } from '@onsembl/protocol';
/**
 * The slice of the WebSocket API the client uses. Browsers' `WebSocket` and the `ws` package's
 * `WebSocket` both fit, so the implementation is injected rather than imported.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Method syntax on purpose: parameters stay bivariant, so both DOM and `ws` event types fit.
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: SocketEvent) => void): void;
}

/** What the client reads from socket events (a union of the fields of open/message/close/error). */
export interface SocketEvent {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const SOCKET_OPEN = 1;

/** How the token reaches the server. */
export type AuthMode =
  /** First message `dashboard:connect {token}`: the token never appears in URLs or access logs. */
  | 'in-band'
  /** `?token=` in the URL (the spec's original form; handy for Node tools). */
  | 'query';

export function socketUrl(base: string, token: string, mode: AuthMode): string {
  if (mode === 'in-band') return base;
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}

/** The dashboard endpoint for a page served by the Onsembl server (http→ws, https→wss). */
export function dashboardUrlFor(location: { protocol: string; host: string }, path: string = Endpoint.dashboard): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}
