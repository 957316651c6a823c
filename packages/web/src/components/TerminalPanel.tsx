import type { AgentInfo } from '@onsembl/client';
import type { CSSProperties } from 'react';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { CommandView } from '../state/dashboard-state.js';
import type { Session } from '../state/session.js';
import { shortId } from '../terminal/lines.js';
import { inputSender, protocolSize } from '../terminal/terminal-input.js';
import { noticeFromFailure } from '../ui/notices.js';
import { commandHref } from '../ui/route.js';
import { TerminalSearch } from './TerminalSearch.js';

interface Props {
  session: Session;
  agent: AgentInfo;
  color: string;
  /** The command the agent runs now (null when idle or not connected). */
  running: CommandView | null;
}

/** A resize is sent once the window has been still this long (dragging a window edge fires many). */
const RESIZE_SETTLE_MS = 200;

/** Shows the agent's long-lived xterm terminal; it is moved in here, not recreated, on each switch. */
export function TerminalPanel({ session, agent, color, running }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const terminal = session.terminals.get(agent.id);
  const { unfilled, filled, newLinesBelow, trimmed, trimmedCommandId } = useSyncExternalStore(terminal.subscribe, () => terminal.view);
  const [loading, setLoading] = useState(false);
  const loadMissing = async () => {
    setLoading(true);
    try {
      await session.terminals.loadUnfilled(agent.id);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    element.replaceChildren();
    terminal.attach(element);
    const observer = new ResizeObserver(() => terminal.fit());
    observer.observe(element);
    // The size in characters, for people inspecting the page and for the tests.
    const mark = () => Object.assign(element.dataset, { cols: String(terminal.term.cols), rows: String(terminal.term.rows) });
    mark();
    const sized = terminal.term.onResize(mark);
    return () => {
      observer.disconnect();
      sized.dispose();
    };
  }, [terminal]);

  const runningId = running?.commandId ?? null;
  // Typing into the running command (shell agents: their commands run in a terminal).
  const canType = runningId !== null && agent.type === 'shell';
  const [typing, setTyping] = useState(false);
  // Typing stops when the command can no longer be typed into (set while rendering, not in an
  // effect: React's pattern for state that follows a prop, without a second render pass).
  const [couldType, setCouldType] = useState(canType);
  if (couldType !== canType) {
    setCouldType(canType);
    if (!canType) setTyping(false);
  }
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!typing || runningId === null) return;
    const send = inputSender(session.client, runningId, (error) =>
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure('Typing into the command', error) }),
    );
    terminal.setInput({
      send,
      leave: () => {
        setTyping(false);
        toggle.current?.focus();
      },
    });
    return () => terminal.setInput(null);
  }, [session, terminal, typing, runningId]);

  // The one sender of the running command's terminal size (terminal:resize). The focused viewer
  // decides it: a resize here is sent once the window is still, and the current size when the user
  // starts typing here; a viewer in the background leaves it alone and reflows on its own.
  const resizeSettling = useRef(false);
  useEffect(() => {
    if (runningId === null) return;
    const send = () => {
      resizeSettling.current = false;
      const { cols, rows } = protocolSize(terminal.term.cols, terminal.term.rows);
      try {
        session.client.resizeTerminal(runningId, cols, rows);
      } catch {
        // Not connected: the next resize (or the next command's request) carries the size; typing
        // fails visibly with its first keystroke.
      }
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = () => {
      resizeSettling.current = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (document.visibilityState === 'visible' && document.hasFocus()) send();
        else resizeSettling.current = false;
      }, RESIZE_SETTLE_MS);
    };
    if (typing) send();
    else if (resizeSettling.current) settle(); // a resize still settling when typing was switched off
    const subscription = terminal.term.onResize(settle);
    return () => {
      clearTimeout(timer);
      subscription.dispose();
    };
  }, [session, terminal, runningId, typing]);

  const copy = async () => {
    const text = terminal.term.getSelection() || terminal.text();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard needs a secure context or permission; selecting + Ctrl/Cmd+C still works.
    }
  };

  return (
    <div className="terminal-panel" style={{ '--agent-color': color } as CSSProperties}>
      <div className="terminal-toolbar">
        <span className="agent-swatch" aria-hidden="true" />
        <h2 className="terminal-title" data-testid="terminal-title">
          {agent.name}
        </h2>
        <span className="agent-type">{agent.type}</span>
        <span className={`badge status-${agent.status}`}>{agent.status}</span>
        <div className="spacer" />
        {unfilled.length > 0 && (
          <button
            type="button"
            className="warn small"
            disabled={loading}
            onClick={() => void loadMissing()}
            title={`Output that did not reach this dashboard: ${unfilled.map((r) => `sequence ${r.from}–${r.to - 1} (${r.reason})`).join(', ')}`}
            data-testid="load-missing"
          >
            {loading ? 'Loading…' : 'Load missing output'}
          </button>
        )}
        {running?.waitingForInput && (
          <span className="badge waiting" data-testid="waiting-for-input" title="The command is waiting to read its terminal (a prompt)">
            waiting for input
          </span>
        )}
        {canType && (
          <button
            ref={toggle}
            type="button"
            className={typing ? 'primary small' : 'small'}
            aria-pressed={typing}
            onClick={() => setTyping(!typing)}
            title={typing ? 'Stop typing into the command (or press Esc twice in the terminal)' : 'Type into the running command: keys go to its terminal'}
            data-testid="terminal-type"
          >
            {typing ? 'Typing… (Esc Esc to stop)' : 'Type into it'}
          </button>
        )}
        <TerminalSearch terminal={terminal} />
        <button type="button" className="ghost small" onClick={() => void copy()} title="Copy the selection, or everything when nothing is selected">
          Copy
        </button>
        <button type="button" className="ghost small" onClick={() => terminal.clear()} title="Clear this terminal's scrollback (on this dashboard only)">
          Clear
        </button>
      </div>
      {trimmed && (
        <p className="terminal-trimmed" data-testid="terminal-trimmed">
          Older output was trimmed from the top: this terminal keeps the last {terminal.scrollback.toLocaleString('en-US')} lines.
          {trimmedCommandId !== null ? (
            <>
              {' '}
              The full output of <a href={commandHref(trimmedCommandId)}>{shortId(trimmedCommandId)}</a> and every earlier command is in
              the history.
            </>
          ) : (
            ' The full output of every command is in the history.'
          )}
        </p>
      )}
      <div className="terminal-stack">
        <div className="terminal-host" ref={host} data-testid="terminal" data-agent-name={agent.name} data-filled={filled} />
        {newLinesBelow > 0 && (
          <button type="button" className="jump-to-latest small" onClick={() => terminal.jumpToLatest()} data-testid="jump-to-latest">
            ↓ Jump to latest ({newLinesBelow.toLocaleString('en-US')} new line{newLinesBelow === 1 ? '' : 's'})
          </button>
        )}
      </div>
    </div>
  );
}
