import { useState, useSyncExternalStore } from 'react';
import type { ApprovalView } from '../../approvals/approval-book.js';
import type { DashboardState } from '../../state/dashboard-state.js';
import { useNow } from '../../state/hooks.js';
import type { Session } from '../../state/session.js';
import { secondsUntil } from '../../ui/format.js';
import { noticeFromFailure } from '../../ui/notices.js';
import { inputGist, inputText } from '../../ui/tool-input.js';

interface Props {
  session: Session;
  state: DashboardState;
}

/** Every approval an AI CLI asks for, on every view: waiting ones with Allow and Deny, decided ones until dismissed. */
export function ApprovalCards({ session, state }: Props) {
  const book = useSyncExternalStore(session.approvals.subscribe, session.approvals.getBook);
  if (book.items.length === 0) return null;
  const waiting = book.waiting.length;
  return (
    <section className="approvals" aria-label="Approvals" data-testid="approvals">
      {waiting > 0 && (
        <h2 className="visually-hidden">
          {waiting} approval{waiting === 1 ? '' : 's'} waiting
        </h2>
      )}
      {book.items.map((item) => (
        <ApprovalCard key={item.question.approvalId} session={session} state={state} item={item} />
      ))}
    </section>
  );
}

function countdown(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${m}:${String(seconds % 60).padStart(2, '0')}`;
}

function ApprovalCard({ session, state, item }: { session: Session; state: DashboardState; item: ApprovalView }) {
  const { question, decided } = item;
  const now = useNow(decided === null, 1_000);
  const [reason, setReason] = useState('');
  const [sending, setSending] = useState<'allow' | 'deny' | null>(null);
  const agent = state.agents.find((a) => a.id === question.agentId);
  const command = state.commands[question.commandId]?.command ?? null;
  const left = secondsUntil(question.deadlineAt, now);

  const answer = async (decision: 'allow' | 'deny') => {
    setSending(decision);
    try {
      await session.client.answerApproval(question.approvalId, decision, decision === 'deny' && reason.trim() ? reason.trim() : undefined);
    } catch (error) {
      // Decided elsewhere first: the card shows that decision as soon as it arrives.
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure(`${decision === 'allow' ? 'Allow' : 'Deny'} ${question.tool}`, error) });
    } finally {
      setSending(null);
    }
  };

  const phase = decided === null ? 'waiting' : decided.decision === 'allow' ? 'allowed' : 'denied';
  return (
    <article
      className={`approval-card approval-${phase}`}
      aria-label={`${agent?.name ?? question.agentId} asks to run ${question.tool}`}
      data-testid="approval-card"
      data-approval-id={question.approvalId}
      data-state={phase}
    >
      <header className="approval-head">
        <span className="approval-icon" aria-hidden="true">
          {decided === null ? '?' : decided.decision === 'allow' ? '✔' : '✘'}
        </span>
        <strong data-testid="approval-agent">{agent?.name ?? question.agentId}</strong>
        <span className="muted">asks to run</span>
        <code className="approval-tool" data-testid="approval-tool">
          {question.tool}
        </code>
        {decided === null && (
          <span className={`approval-countdown${left <= 30 ? ' soon' : ''}`} data-testid="approval-countdown" title="Denied when nobody answers by then">
            {left > 0 ? `${countdown(left)} left` : 'deadline passed: denying'}
          </span>
        )}
      </header>
      <p className="approval-gist">
        <code data-testid="approval-gist">{inputGist(question.input)}</code>
      </p>
      {question.description && <p className="approval-description muted">{question.description}</p>}
      <details className="approval-input">
        <summary>Input{question.inputTruncated ? ' (cut)' : ''}</summary>
        <pre data-testid="approval-input">{inputText(question.input)}</pre>
      </details>
      <p className="approval-command muted">
        for <code data-testid="approval-command">{command ?? question.commandId}</code>
      </p>
      {decided === null ? (
        <div className="approval-actions">
          <input
            className="approval-reason"
            placeholder="Reason, if you deny (the AI is told)"
            maxLength={2_000}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            aria-label="Reason for denying"
            data-testid="approval-reason"
          />
          <button type="button" className="primary" disabled={sending !== null} onClick={() => void answer('allow')} data-testid="approval-allow">
            {sending === 'allow' ? 'Allowing…' : 'Allow'}
          </button>
          <button type="button" className="danger" disabled={sending !== null} onClick={() => void answer('deny')} data-testid="approval-deny">
            {sending === 'deny' ? 'Denying…' : 'Deny'}
          </button>
        </div>
      ) : (
        <div className="approval-actions">
          <span className="approval-decision" data-testid="approval-decision" role="status">
            {decisionText(decided)}
          </span>
          <button type="button" className="ghost small" onClick={() => session.approvals.dismiss(question.approvalId)} data-testid="approval-dismiss">
            Dismiss
          </button>
        </div>
      )}
    </article>
  );
}

/** Allowed by alice · Denied by bob: not on prod · Denied: nobody answered in time. */
export function decisionText(decided: NonNullable<ApprovalView['decided']>): string {
  if (decided.reason === 'timeout') return 'Denied: nobody answered before the deadline';
  if (decided.reason === 'command_ended') return 'Denied: the command ended first';
  if (decided.reason === 'refused') return `Denied by the server${decided.message ? `: ${decided.message}` : ''}`;
  const verb = decided.decision === 'allow' ? 'Allowed' : 'Denied';
  return `${verb} by ${decided.decidedBy}${decided.message ? `: ${decided.message}` : ''}`;
}
