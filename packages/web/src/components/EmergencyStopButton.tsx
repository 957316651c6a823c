import { useRef, useState } from 'react';
import type { Session } from '../state/session.js';
import { noticeFromFailure } from '../ui/notices.js';

interface Props {
  session: Session;
  disabled: boolean;
  /** What would be stopped right now, for the confirmation. */
  running: number;
  queued: number;
}

/** One red button, one confirmation: empties every queue and interrupts every running command. */
export function EmergencyStopButton({ session, disabled, running, queued }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);

  const stop = async () => {
    dialog.current?.close();
    setBusy(true);
    try {
      await session.client.emergencyStop('emergency stop from the dashboard');
    } catch (error) {
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure('Emergency stop', error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className="danger" disabled={disabled || busy} onClick={() => dialog.current?.showModal()} data-testid="emergency-stop">
        {busy ? 'Stopping…' : 'Emergency stop'}
      </button>
      <dialog ref={dialog} className="confirm" aria-labelledby="estop-title" data-testid="emergency-dialog">
        <h2 id="estop-title">Stop everything?</h2>
        <p>This empties every queue and interrupts every running command on every agent. Every dashboard is told.</p>
        <p data-testid="emergency-scope">
          Right now: {running} running command{running === 1 ? '' : 's'}, {queued} queued.
        </p>
        <div className="dialog-actions">
          <button type="button" className="ghost" onClick={() => dialog.current?.close()} autoFocus>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => void stop()} data-testid="emergency-confirm">
            Stop everything
          </button>
        </div>
      </dialog>
    </>
  );
}
