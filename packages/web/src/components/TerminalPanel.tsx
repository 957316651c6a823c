import type { AgentInfo } from '@onsembl/client';
import type { CSSProperties } from 'react';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Session } from '../state/session.js';
import { shortId } from '../terminal/lines.js';
import { commandHref } from '../ui/route.js';
import { TerminalSearch } from './TerminalSearch.js';

interface Props {
  session: Session;
  agent: AgentInfo;
  color: string;
}

/** Shows the agent's long-lived xterm terminal; it is moved in here, not recreated, on each switch. */
export function TerminalPanel({ session, agent, color }: Props) {
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
    return () => observer.disconnect();
  }, [terminal]);

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
