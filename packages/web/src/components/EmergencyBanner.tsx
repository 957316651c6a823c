import type { EmergencyNotice } from '../state/dashboard-state.js';
import { formatClock } from '../ui/format.js';

interface Props {
  event: EmergencyNotice;
  onDismiss(): void;
}

/** What an emergency stop did, shown on every dashboard. */
export function EmergencyBanner({ event, onDismiss }: Props) {
  const cancelled = event.cancelled.length;
  const interrupted = event.interrupted.length;
  return (
    <div className="banner banner-danger" role="alert" data-testid="emergency-banner">
      <strong>Emergency stop</strong> by {event.requestedBy} at {formatClock(event.at)}:{' '}
      <span data-testid="emergency-summary">
        {interrupted} running command{interrupted === 1 ? '' : 's'} interrupted, {cancelled} queued command{cancelled === 1 ? '' : 's'} cancelled
      </span>
      {event.reason ? <span className="muted">({event.reason})</span> : null}
      <button type="button" className="ghost small" onClick={onDismiss} aria-label="Dismiss emergency stop notice">
        Dismiss
      </button>
    </div>
  );
}
