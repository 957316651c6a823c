import { useState } from 'react';
import type { CommandView } from '../state/dashboard-state.js';
import { useNow } from '../state/hooks.js';
import type { Session } from '../state/session.js';
import { formatElapsed } from '../ui/format.js';
import { noticeFromFailure } from '../ui/notices.js';

interface Props {
  session: Session;
  command: CommandView | null;
  disabled: boolean;
}

/** The command the agent runs now, how long it has run, and Interrupt. */
export function RunningCommand({ session, command, disabled }: Props) {
  const now = useNow(command !== null, 1_000);
  const [interrupting, setInterrupting] = useState<string | null>(null);

  const interrupt = async (commandId: string) => {
    setInterrupting(commandId);
    try {
      await session.client.interrupt(commandId);
    } catch (error) {
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure('Interrupt', error) });
    } finally {
      setInterrupting(null);
    }
  };

  return (
    <section className="card" aria-labelledby="running-title" data-testid="running">
      <h2 className="section-title" id="running-title">
        Running
      </h2>
      {command ? (
        <div className="running" data-testid="running-command" data-command-id={command.commandId}>
          <code className="command-text">{command.command ?? command.commandId}</code>
          <span className="muted">
            {command.startedAt ? `for ${formatElapsed(Math.max(0, now - command.startedAt))}` : 'running'}
            {command.priority ? ` · ${command.priority}` : ''}
            {command.waitingForInput ? ' · waiting for input' : ''}
          </span>
          <button
            type="button"
            className="warn small"
            disabled={disabled || interrupting === command.commandId}
            onClick={() => void interrupt(command.commandId)}
            data-testid="interrupt"
          >
            {interrupting === command.commandId ? 'Interrupting…' : 'Interrupt'}
          </button>
        </div>
      ) : (
        <p className="muted" data-testid="idle">
          Idle
        </p>
      )}
    </section>
  );
}
