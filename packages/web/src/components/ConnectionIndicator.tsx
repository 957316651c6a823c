import type { ConnectionStatus } from '@onsembl/client';
import { useNow } from '../state/hooks.js';
import { secondsUntil } from '../ui/format.js';

interface Props {
  status: ConnectionStatus;
  onReconnect: () => void;
  /** Offered when the token expires within RENEW_BEFORE_MS. */
  onRenewToken: () => void;
}

const RENEW_BEFORE_MS = 10 * 60_000;

/** Always visible: the client's state, the countdown to the next retry, and Retry now / Reconnect. */
export function ConnectionIndicator({ status, onReconnect, onRenewToken }: Props) {
  const { state, nextRetryAt, failures, offerManualReconnect, reason, tokenExpiresAt } = status;
  // Tick fast for the retry countdown, slowly to notice that the token is about to expire.
  const now = useNow(nextRetryAt !== null || tokenExpiresAt !== null, nextRetryAt !== null ? 250 : 15_000);
  const expiresSoon = state === 'CONNECTED' && tokenExpiresAt !== null && tokenExpiresAt - now < RENEW_BEFORE_MS;
  const detail = expiresSoon ? `token expires in ${Math.max(0, Math.ceil((tokenExpiresAt - now) / 60_000))} min` : describe(status);
  return (
    <div className="connection" data-state={state} role="status" aria-live="polite" data-testid="connection">
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-state" data-testid="connection-state">
        {state}
      </span>
      {detail && (
        <span className="connection-detail" data-testid="connection-detail" title={status.lastError ?? undefined}>
          {detail}
        </span>
      )}
      {nextRetryAt !== null && (
        <span className="connection-countdown" data-testid="retry-countdown">
          retry in {secondsUntil(nextRetryAt, now)} s{failures > 0 ? ` (attempt ${failures + 1})` : ''}
        </span>
      )}
      {(offerManualReconnect || (state === 'DISCONNECTED' && reason === 'closed') || nextRetryAt !== null) && (
        <button type="button" className="small" onClick={onReconnect} data-testid="reconnect">
          {nextRetryAt !== null ? 'Retry now' : 'Reconnect'}
        </button>
      )}
      {expiresSoon && (
        <button type="button" className="small" onClick={onRenewToken} data-testid="renew-token">
          Renew token
        </button>
      )}
    </div>
  );
}

function describe(status: ConnectionStatus): string | null {
  if (status.offerManualReconnect) return `${status.failures} attempts failed; still trying`;
  if (status.state === 'DISCONNECTED' && status.reason === 'auth-failed') return 'token refused';
  return null;
}
