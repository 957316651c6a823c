import { createRequire } from 'node:module';
import { apiBaseFor, HistoryApi, HistoryApiError, OnsemblClient, type ConnectionStatus, type WebSocketConstructor } from '@onsembl/client';
import { CertificateError, nodeFetch, nodeWebSocket } from '@onsembl/client/node';
import { certificateProblem } from '@onsembl/protocol';
import type { WebSocket as NodeSocket } from 'ws';
import type { ClientConfig } from '../../client-config.js';
import { CliError, ExitCode } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
export const CLIENT_INFO = { name: 'onsembl-cli', version } as const;

interface SocketErrors {
  last: string | null;
  /** Set when the server's certificate was refused: retrying cannot help. */
  certificate: string | null;
  /** Sockets not closed yet: a process that exits before they are may drop frames still queued (an interrupt). */
  open: Set<NodeSocket>;
}

/**
 * The Node WebSocket of `@onsembl/client/node` (trusting `--ca`), keeping the last socket-level
 * error (ECONNREFUSED, an HTTP answer to the upgrade, a refused certificate): the client's state
 * alone would say "closed with code 1006", which tells a user nothing.
 */
function socketClass(config: ClientConfig, errors: SocketErrors): WebSocketConstructor {
  const Base = nodeWebSocket(config.ca ? { ca: config.ca } : {}) as unknown as new (url: string) => NodeSocket;
  return class CliWebSocket extends Base {
    constructor(url: string) {
      super(url);
      errors.open.add(this);
      this.on('close', () => errors.open.delete(this));
      this.on('open', () => (errors.last = null));
      this.on('error', (error: Error & { code?: string }) => {
        errors.last = error.message;
        errors.certificate = certificateProblem(error) ?? errors.certificate;
      });
    }
  };
}

/** fetch over node:http(s), trusting `--ca`. */
function fetchFor(config: ClientConfig) {
  return nodeFetch(config.ca ? { ca: config.ca } : {});
}

export interface Connected {
  client: OnsemblClient;
  /** The last socket error, for messages about a lost connection. */
  lastSocketError: () => string | null;
  /**
   * Closes the client and waits (at most `timeoutMs`) until its socket is closed. The close
   * handshake follows everything queued before it, so an interrupt sent just before Ctrl-C-ing
   * away has reached the server when this resolves.
   */
  close: (timeoutMs?: number) => Promise<void>;
}

const CLOSE_WAIT_MS = 3_000;

function closer(client: OnsemblClient, errors: SocketErrors): (timeoutMs?: number) => Promise<void> {
  return async (timeoutMs = CLOSE_WAIT_MS) => {
    client.close();
    const sockets = [...errors.open];
    if (sockets.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(sockets.map((socket) => new Promise((resolve) => (errors.open.has(socket) ? socket.once('close', resolve) : resolve(undefined))))),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  };
}

/** The history REST API of the configured server (no WebSocket needed). */
export function historyApi(config: ClientConfig): HistoryApi {
  return new HistoryApi({ baseUrl: apiBaseFor(config.dashboardUrl), token: config.token, fetch: fetchFor(config) });
}

/** REST failures as the client's exit codes: 401 is an auth failure, no answer at all is "unreachable". */
export function restError(error: unknown, config: ClientConfig): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof HistoryApiError) {
    const certificate = certificateRefusal(error);
    if (certificate) return new CliError(ExitCode.tlsRefused, certificate);
    if (error.status === 401) return authError(config, error.message);
    if (error.status === 0) return new CliError(ExitCode.unavailable, error.message);
    if (error.status === 404) return new CliError(ExitCode.notFound, error.message);
    return new CliError(ExitCode.software, `the server answered ${error.status}: ${error.message}`);
  }
  return new CliError(ExitCode.software, error instanceof Error ? error.message : String(error));
}

/** The sentence saying why the server's certificate was refused, when that is what failed. */
export function certificateRefusal(error: unknown): string | undefined {
  return error instanceof HistoryApiError && error.cause instanceof CertificateError ? error.cause.message : undefined;
}

export function authError(config: ClientConfig, why: string): CliError {
  return new CliError(
    ExitCode.authFailed,
    `the server refused the token from ${config.tokenSource} (${why}); a dashboard-role token is needed: onsembl token --role dashboard`,
  );
}

/**
 * Opens the dashboard connection and resolves once the server has acknowledged it and sent its
 * agent list. A terminal command fails fast: the first failed attempt (refused, unreachable, bad
 * token) rejects with the matching exit code instead of retrying in the background.
 * `beforeConnect` attaches listeners that must not miss the first messages.
 */
export function connectClient(config: ClientConfig, beforeConnect?: (client: OnsemblClient) => void): Promise<Connected> {
  const errors: SocketErrors = { last: null, certificate: null, open: new Set() };
  const client = new OnsemblClient({
    url: config.dashboardUrl,
    token: config.token,
    WebSocket: socketClass(config, errors),
    fetch: fetchFor(config),
    clientInfo: CLIENT_INFO,
    // A script waits for its command across a server restart: reconnect at once once connected,
    // and let the run decide when it has waited long enough (see RunSession).
    stableAfterMs: 0,
  });
  return new Promise<Connected>((resolve, reject) => {
    let acked = false;
    const offs = [
      client.on('connected', () => (acked = true)),
      client.on('agents', () => {
        if (!acked) return;
        offs.forEach((off) => off());
        resolve({ client, lastSocketError: () => errors.last, close: closer(client, errors) });
      }),
      client.on('state', (status: ConnectionStatus) => {
        if (acked) return;
        const failed = status.state === 'RECONNECTING' || status.state === 'DISCONNECTED';
        if (!failed) return;
        offs.forEach((off) => off());
        client.close();
        if (status.reason === 'auth-failed') reject(authError(config, status.lastError ?? 'AUTH_FAILED'));
        else if (errors.certificate) reject(new CliError(ExitCode.tlsRefused, `cannot connect to ${config.dashboardUrl}: ${errors.certificate}`));
        else reject(new CliError(ExitCode.unavailable, `cannot reach ${config.dashboardUrl} (from ${config.urlSource}): ${errors.last ?? status.lastError ?? 'connection failed'}`));
      }),
    ];
    beforeConnect?.(client);
    client.connect();
  });
}
