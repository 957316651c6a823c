import { createRequire } from 'node:module';
import { apiBaseFor, HistoryApi, HistoryApiError, OnsemblClient, type ConnectionStatus } from '@onsembl/client';
import { WebSocket } from 'ws';
import type { ClientConfig } from '../../client-config.js';
import { CliError, ExitCode } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
export const CLIENT_INFO = { name: 'onsembl-cli', version } as const;

/**
 * `ws`'s WebSocket that keeps the last socket-level error (ECONNREFUSED, an HTTP answer to the
 * upgrade): the client's state only says "closed with code 1006", which tells a user nothing.
 */
function socketClass(errors: { last: string | null }) {
  return class CliWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('open', () => (errors.last = null));
      this.on('error', (error: Error) => (errors.last = error.message));
    }
  };
}

export interface Connected {
  client: OnsemblClient;
  /** The last socket error, for messages about a lost connection. */
  lastSocketError(): string | null;
}

/** The history REST API of the configured server (no WebSocket needed). */
export function historyApi(config: ClientConfig): HistoryApi {
  return new HistoryApi({ baseUrl: apiBaseFor(config.dashboardUrl), token: config.token });
}

/** REST failures as the client's exit codes: 401 is an auth failure, no answer at all is "unreachable". */
export function restError(error: unknown, config: ClientConfig): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof HistoryApiError) {
    if (error.status === 401) return authError(config, error.message);
    if (error.status === 0) return new CliError(ExitCode.unavailable, error.message);
    if (error.status === 404) return new CliError(ExitCode.notFound, error.message);
    return new CliError(ExitCode.software, `the server answered ${error.status}: ${error.message}`);
  }
  return new CliError(ExitCode.software, error instanceof Error ? error.message : String(error));
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
  const errors = { last: null as string | null };
  const client = new OnsemblClient({
    url: config.dashboardUrl,
    token: config.token,
    WebSocket: socketClass(errors),
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
        resolve({ client, lastSocketError: () => errors.last });
      }),
      client.on('state', (status: ConnectionStatus) => {
        if (acked) return;
        const failed = status.state === 'RECONNECTING' || status.state === 'DISCONNECTED';
        if (!failed) return;
        offs.forEach((off) => off());
        client.close();
        if (status.reason === 'auth-failed') reject(authError(config, status.lastError ?? 'AUTH_FAILED'));
        else reject(new CliError(ExitCode.unavailable, `cannot reach ${config.dashboardUrl} (from ${config.urlSource}): ${errors.last ?? status.lastError ?? 'connection failed'}`));
      }),
    ];
    beforeConnect?.(client);
    client.connect();
  });
}
