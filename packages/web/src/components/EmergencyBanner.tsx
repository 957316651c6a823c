import { useState } from 'react';
import type { EmergencyNotice } from '../state/dashboard-state.js';
import { rerun } from '../state/rerun.js';
import type { Session } from '../state/session.js';
import { formatClock } from '../ui/format.js';

interface Props {
  session: Session;
  event: EmergencyNotice;
  onDismiss: () => void;
}

/** What an emergency stop did, shown on every dashboard. */
export function EmergencyBanner({ session, event, onDismiss }: Props) {
  const cancelled = event.cancelled.length;
  const interrupted = event.interrupted.length;
  const [requeued, setRequeued] = useState<number | null>(null);
  const [sending, setSending] = useState(false);
  const again = async () => {
    setSending(true);
    // The queue order they had, which is the order the server reports them in.
    setRequeued(await rerun(session, event.cancelled));
    setSending(false);
  };
  return (
    <div className="banner banner-danger" role="alert" data-testid="emergency-banner">
      <strong>Emergency stop</strong> by {event.requestedBy} at {formatClock(event.at)}:{' '}
      <span data-testid="emergency-summary">
        {interrupted} running command{interrupted === 1 ? '' : 's'} interrupted, {cancelled} queued command{cancelled === 1 ? '' : 's'} cancelled
      </span>
      {event.reason ? <span className="muted">({event.reason})</span> : null}
      {cancelled > 0 && (
        <button
          type="button"
          className="small"
          disabled={sending || requeued === cancelled}
          onClick={() => void again()}
          title="Queue the commands the stop cancelled again, in their order, with their priorities"
          data-testid="emergency-rerun"
        >
          {requeued === null ? `Re-run the ${cancelled} cancelled` : `Re-queued ${requeued} of ${cancelled}`}
        </button>
      )}
      <button type="button" className="ghost small" onClick={onDismiss} aria-label="Dismiss emergency stop notice">
        Dismiss
      </button>
    </div>
  );
}
