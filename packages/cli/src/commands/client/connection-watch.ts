import type { ConnectionStatus, OnsemblClient } from '@onsembl/client';
import type { ClientConfig } from '../../client-config.js';
import { authError } from './connect.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { Terminal } from './terminal.js';

/** How long a waiting command keeps trying to get its connection back before it gives up (exit 75). */
export const RECONNECT_WINDOW_MS = 5 * 60_000;

export interface ConnectionWatch {
  /** Rejects with the CliError that ends the wait: token refused, or no connection for too long. */
  failed: Promise<never>;
  stop(): void;
}

/**
 * Watches a waiting client's connection (the client itself keeps retrying, with backoff): says on
 * stderr when it drops and comes back, and ends the wait when the token is refused or the server
 * stayed away for `RECONNECT_WINDOW_MS` (a script must end some time; the command carries on).
 */
export function watchConnection(
  client: OnsemblClient, config: ClientConfig, terminal: Terminal, socketError: () => string | null, whatWaits: () => string,
): ConnectionWatch {
  let lostAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let fail!: (error: CliError) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const off = client.on('state', (status: ConnectionStatus) => {
    if (status.state === 'CONNECTED') {
      if (lostAt !== null) terminal.notice(`reconnected to ${config.dashboardUrl}`);
      lostAt = null;
      if (timer) clearTimeout(timer);
      timer = undefined;
      return;
    }
    if (status.state === 'DISCONNECTED' && status.reason === 'auth-failed') {
      fail(authError(config, status.lastError ?? 'AUTH_FAILED'));
      return;
    }
    if (status.state === 'RECONNECTING' && lostAt === null) {
      lostAt = Date.now();
      terminal.notice(`connection to ${config.dashboardUrl} lost (${socketError() ?? status.lastError ?? 'closed'}); reconnecting`);
      timer = setTimeout(() => {
        fail(new CliError(ExitCode.unavailable, `no connection to ${config.dashboardUrl} for ${RECONNECT_WINDOW_MS / 1000} s; ${whatWaits()}`));
      }, RECONNECT_WINDOW_MS);
    }
  });
  return {
    failed,
    stop() {
      off();
      if (timer) clearTimeout(timer);
    },
  };
}
