import type { AgentInfo } from '@onsembl/client';
import { ErrorCode, Limits, Priority, ProtocolError } from '@onsembl/protocol';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Session } from '../state/session.js';
import { loadRecentCommands, rememberCommand } from '../state/recent-commands.js';
import { protocolSize } from '../terminal/terminal-input.js';
import { noticeFromFailure } from '../ui/notices.js';

interface Props {
  session: Session;
  agent: AgentInfo;
  disabled: boolean;
}

const formatCount = (n: number) => n.toLocaleString('en-US');

/** When the server refused for the rate limit, the moment it said the next request is allowed. */
function retryAtFrom(error: unknown, now: number): number | null {
  if (!(error instanceof ProtocolError) || error.code !== ErrorCode.RATE_LIMIT) return null;
  const after = error.details?.retryAfterMs;
  return typeof after === 'number' && after > 0 ? now + after : null;
}

/**
 * The command box: multi-line (Enter runs, Shift+Enter adds a line), a length counter that refuses
 * rather than cuts (a truncated command must never run), Up/Down recall of commands sent from this
 * browser, and a rate-limit refusal that counts down to when the next request is allowed.
 */
export function CommandForm({ session, agent, disabled }: Props) {
  const [command, setCommand] = useState('');
  const [priority, setPriority] = useState<Priority>(Priority.normal);
  const [timeoutSeconds, setTimeoutSeconds] = useState('');
  /** AI agents: the next prompt starts a new session instead of continuing the agent's current one. */
  const [newSession, setNewSession] = useState(false);
  const ai = agent.type !== 'shell';
  const [sending, setSending] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const recall = useRef<{ list: string[]; index: number; draft: string }>({ list: loadRecentCommands(), index: -1, draft: '' });
  const id = useId();

  useEffect(() => {
    if (retryAt === null) return;
    const timer = setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= retryAt) setRetryAt(null);
    }, 250);
    return () => clearInterval(timer);
  }, [retryAt]);

  const text = command.trim();
  const over = text.length - Limits.commandMaxChars;
  const waitSeconds = retryAt === null ? 0 : Math.max(1, Math.ceil((retryAt - now) / 1000));
  const blocked = disabled || sending || text === '' || over > 0 || retryAt !== null;

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (blocked) return;
    const seconds = Number(timeoutSeconds);
    const timeoutMs = timeoutSeconds.trim() !== '' && seconds > 0 ? Math.round(seconds * 1_000) : undefined;
    setSending(true);
    try {
      // The command's PTY starts at the size of the terminal it is shown in here, so lines break where they will be read.
      const { term } = session.terminals.get(agent.id);
      const size = protocolSize(term.cols, term.rows);
      const fresh = ai && newSession ? { newSession: true } : {};
      await session.client.requestCommand({ agentId: agent.id, command: text, priority, ...size, ...(timeoutMs ? { timeoutMs } : {}), ...fresh });
      recall.current = { list: rememberCommand(text), index: -1, draft: '' };
      setCommand('');
      // One prompt starts the new session; the next ones continue it.
      setNewSession(false);
    } catch (error) {
      const at = retryAtFrom(error, Date.now());
      if (at !== null) {
        setNow(Date.now());
        setRetryAt(at);
      } else {
        session.store.dispatch({ type: 'notice', notice: noticeFromFailure(`Run "${text.slice(0, 40)}"`, error) });
      }
    } finally {
      setSending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    const box = event.currentTarget;
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
      return;
    }
    const r = recall.current;
    // As in a shell: Up on the first line recalls, Down on the last line goes forward; elsewhere the
    // arrows move the caret between the lines of a multi-line command.
    const onFirstLine = !box.value.slice(0, box.selectionStart).includes('\n');
    const onLastLine = !box.value.slice(box.selectionEnd).includes('\n');
    if (event.key === 'ArrowUp' && onFirstLine && r.list.length > 0) {
      event.preventDefault();
      if (r.index === -1) r.draft = command;
      r.index = r.index === -1 ? r.list.length - 1 : Math.max(0, r.index - 1);
      setCommand(r.list[r.index] ?? '');
    } else if (event.key === 'ArrowDown' && onLastLine && r.index !== -1) {
      event.preventDefault();
      r.index = r.index + 1 < r.list.length ? r.index + 1 : -1;
      setCommand(r.index === -1 ? r.draft : (r.list[r.index] ?? ''));
    }
  };

  const lines = Math.min(8, Math.max(1, command.split('\n').length));
  return (
    <form className="command-form" onSubmit={(e) => void submit(e)} aria-label={`Run a command on ${agent.name}`} data-testid="command-form">
      <label className="visually-hidden" htmlFor={`${id}-cmd`}>
        Command
      </label>
      <div className={`command-box${over > 0 ? ' over-limit' : ''}`}>
        <span className="prompt" aria-hidden="true">
          $
        </span>
        <textarea
          id={`${id}-cmd`}
          className="command-input"
          rows={lines}
          autoComplete="off"
          spellCheck={false}
          placeholder={`Command to run on ${agent.name}`}
          title="Enter runs it, Shift+Enter adds a line, ↑ recalls earlier commands"
          value={command}
          onChange={(e) => {
            recall.current.index = -1;
            setCommand(e.target.value);
          }}
          onKeyDown={onKeyDown}
          aria-invalid={over > 0}
          aria-describedby={`${id}-count`}
          data-testid="command-input"
        />
        <span id={`${id}-count`} className={`command-counter${over > 0 ? ' over' : ''}`} data-testid="command-counter">
          {formatCount(text.length)} / {formatCount(Limits.commandMaxChars)}
        </span>
      </div>
      <label className="field">
        <span>Priority</span>
        <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)} data-testid="command-priority">
          <option value={Priority.high}>high</option>
          <option value={Priority.normal}>normal</option>
          <option value={Priority.low}>low</option>
        </select>
      </label>
      <label className="field">
        <span>Timeout (s)</span>
        <input
          type="number"
          min="1"
          step="1"
          inputMode="numeric"
          placeholder="none"
          value={timeoutSeconds}
          onChange={(e) => setTimeoutSeconds(e.target.value)}
          className="timeout-input"
          data-testid="command-timeout"
        />
      </label>
      {ai && (
        <label
          className="field session-choice"
          title={agent.sessionId ? `Unticked, the prompt continues session ${agent.sessionId}` : 'The agent has no session yet: the prompt starts one'}
        >
          <input type="checkbox" checked={newSession} onChange={(e) => setNewSession(e.target.checked)} data-testid="command-new-session" />
          <span>
            New session
            <span className="muted" data-testid="command-session">
              {newSession || !agent.sessionId ? ' (starts one)' : ` (else continues ${agent.sessionId.slice(0, 8)})`}
            </span>
          </span>
        </label>
      )}
      <button type="submit" className="primary" disabled={blocked} data-testid="command-run">
        {retryAt === null ? 'Run' : `Run (in ${waitSeconds} s)`}
      </button>
      {over > 0 && (
        <p className="command-problem" role="alert" data-testid="command-too-long">
          Too long by {formatCount(over)} characters: a command may have at most {formatCount(Limits.commandMaxChars)}. Nothing was
          sent; shorten it (or put it in a script on the agent&apos;s machine).
        </p>
      )}
      {retryAt !== null && (
        <p className="command-problem" role="status" data-testid="command-rate-limited">
          Too many command requests for now: the server accepts the next one in {waitSeconds} s. Your command is kept; press Run
          then.
        </p>
      )}
    </form>
  );
}
