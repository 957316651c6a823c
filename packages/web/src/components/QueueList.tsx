import type { QueueEntry } from '@onsembl/client';
import type { Session } from '../state/session.js';
import { noticeFromFailure } from '../ui/notices.js';

interface Props {
  session: Session;
  queue: readonly QueueEntry[];
  disabled: boolean;
}

/** The agent's queue in run order, as the server reports it (it reorders live), with Cancel per entry. */
export function QueueList({ session, queue, disabled }: Props) {
  const cancel = async (entry: QueueEntry) => {
    try {
      await session.client.interrupt(entry.commandId);
    } catch (error) {
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure(`Cancel "${entry.command.slice(0, 40)}"`, error) });
    }
  };
  return (
    <section className="card" aria-labelledby="queue-title">
      <h2 className="section-title" id="queue-title">
        Queue <span className="count">{queue.length}</span>
      </h2>
      {queue.length === 0 ? (
        <p className="muted">Empty</p>
      ) : (
        <ol className="queue" data-testid="queue">
          {queue.map((entry) => (
            <li key={entry.commandId} className="queue-entry" data-testid="queue-entry" data-command-id={entry.commandId}>
              <span className="queue-position" aria-label={`position ${entry.position}`}>
                {entry.position}
              </span>
              <span className={`badge priority-${entry.priority}`}>{entry.priority}</span>
              <code className="command-text" title={entry.command}>
                {entry.command}
              </code>
              <button
                type="button"
                className="ghost small"
                disabled={disabled}
                onClick={() => void cancel(entry)}
                aria-label={`Cancel ${entry.command}`}
                data-testid="queue-cancel"
              >
                Cancel
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
