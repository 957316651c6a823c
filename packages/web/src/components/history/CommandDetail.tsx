import { useState, type CSSProperties } from 'react';
import { useStoredCommand } from '../../state/command-history.js';
import { rerun } from '../../state/rerun.js';
import type { Session } from '../../state/session.js';
import { formatClock, formatTimestamp } from '../../ui/format.js';
import { durationText, exitText } from './HistoryTable.js';
import { OutputViewer } from './OutputViewer.js';
import { RunView } from '../run/RunView.js';

interface Props {
  session: Session;
  commandId: string;
  agentName: (agentId: string) => string;
  color: (agentId: string) => string;
  onClose: () => void;
}

/** One stored command: what ran where, who asked, how it went, and its full output. */
export function CommandDetail({ session, commandId, agentName, color, onClose }: Props) {
  const { command, error } = useStoredCommand(session, commandId);
  const [rerunning, setRerunning] = useState<'idle' | 'sending' | 'queued'>('idle');
  const again = async () => {
    setRerunning('sending');
    setRerunning((await rerun(session, [commandId])) === 1 ? 'queued' : 'idle');
  };
  return (
    <section
      className="command-detail"
      aria-label="Command details"
      data-testid="command-detail"
      data-command-id={commandId}
      data-status={command?.status}
      style={{ '--agent-color': command ? color(command.agentId) : 'var(--border)' } as CSSProperties}
    >
      <header className="detail-header">
        <button type="button" className="ghost small detail-back" onClick={onClose} data-testid="detail-close">
          ← Results
        </button>
        <code className="detail-command" data-testid="detail-command" title={command?.command}>
          {command ? `$ ${command.command}` : commandId}
        </code>
        {command && <span className={`badge cmd-${command.status}`}>{command.status}</span>}
        {command && (
          <button
            type="button"
            className="small"
            disabled={rerunning === 'sending'}
            onClick={() => void again()}
            title={`Queue "${command.command.slice(0, 80)}" again on ${agentName(command.agentId)}, with the same priority, timeout and budgets`}
            data-testid="detail-rerun"
          >
            {rerunning === 'queued' ? 'Queued again ✓' : 'Re-run'}
          </button>
        )}
        <button type="button" className="ghost small detail-close" onClick={onClose} aria-label="Close the command">
          ×
        </button>
      </header>
      {error && (
        <p className="history-error" role="alert">
          Could not load {commandId}: {error}
        </p>
      )}
      {command && (
        <>
          <dl className="detail-meta" data-testid="detail-meta">
            <div>
              <dt>Agent</dt>
              <dd>
                <span className="agent-swatch" aria-hidden="true" /> {agentName(command.agentId)}
              </dd>
            </div>
            <div>
              <dt>Exit</dt>
              <dd data-testid="detail-exit">{exitText(command)}</dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{durationText(command)}</dd>
            </div>
            <div>
              <dt>Requested by</dt>
              <dd>{command.requestedBy}</dd>
            </div>
            <div>
              <dt>Priority</dt>
              <dd>
                <span className={`priority-${command.priority}`}>{command.priority}</span>
              </dd>
            </div>
            <div className="meta-wide">
              <dt>Timeline</dt>
              <dd>
                <ol className="timeline">
                  {command.history.map((step) => (
                    <li key={`${step.status}-${step.at}`} title={formatTimestamp(step.at)}>
                      <span className={`cmd-${step.status}`}>{step.status}</span> {formatClock(step.at)}
                    </li>
                  ))}
                </ol>
              </dd>
            </div>
            {command.message && (
              <div className="meta-wide">
                <dt>Message</dt>
                <dd>{command.message}</dd>
              </div>
            )}
            <div className="meta-wide">
              <dt>Id</dt>
              <dd>
                <code>{command.id}</code>
              </dd>
            </div>
          </dl>
          <RunView session={session} commandId={command.id} agentId={command.agentId} finished={command.status} hideWhenEmpty />
          <OutputViewer session={session} command={command} />
        </>
      )}
    </section>
  );
}
