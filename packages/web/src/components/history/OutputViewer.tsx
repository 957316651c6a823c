import type { HistoryCommand } from '@onsembl/client';
import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Session } from '../../state/session.js';
import { AgentTerminal } from '../../terminal/agent-terminal.js';
import { noteLine, shortId } from '../../terminal/lines.js';
import { TerminalFeed } from '../../terminal/terminal-feed.js';
import { formatBytes } from '../../ui/format.js';
import { TerminalSearch } from '../TerminalSearch.js';

/** Lines kept by the viewer's terminal; Download has everything beyond. */
const VIEWER_SCROLLBACK = 100_000;
const PAGE = 1_000;

interface Stats {
  bytes: number;
  lines: number;
  /** The last byte written was not a newline: one more (unfinished) line. */
  open: boolean;
}

/**
 * A command's whole stored output in its own xterm.js terminal (colours and all), read page by page
 * from the history API; while the command runs, its live output follows in order.
 */
export function OutputViewer({ session, command }: { session: Session; command: HistoryCommand }) {
  const host = useRef<HTMLDivElement>(null);
  const [terminal] = useState(() => new AgentTerminal({ scrollback: VIEWER_SCROLLBACK }));
  const [loaded, setLoaded] = useState(false);
  const [stats, setStats] = useState<Stats>({ bytes: 0, lines: 0, open: false });
  const { id, agentId } = command;
  const { trimmed } = useSyncExternalStore(terminal.subscribe, () => terminal.view);

  useEffect(() => () => terminal.dispose(), [terminal]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    terminal.attach(element);
    const observer = new ResizeObserver(() => terminal.fit());
    observer.observe(element);
    const counted: Stats = { bytes: 0, lines: 0, open: false };
    const encoder = new TextEncoder();
    let statsTimer: ReturnType<typeof setTimeout> | undefined;
    const showStats = () => {
      statsTimer ??= setTimeout(() => {
        statsTimer = undefined;
        setStats({ ...counted });
      }, 100);
    };
    const feed = new TerminalFeed(
      {
        write: (data) => {
          terminal.write(data);
          counted.bytes += encoder.encode(data).length;
          for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) counted.lines++;
          if (data.length > 0) counted.open = !data.endsWith('\n');
          showStats();
        },
        line: (data) => terminal.writeLine(data),
        note: (text) => terminal.writeLine(noteLine(text)),
        unfilled: () => undefined,
      },
      async (range) => {
        if (range.to !== undefined) {
          return session.client.fillGap({ commandId: range.commandId, fromSequence: range.from, nextSequence: range.to });
        }
        const chunks = [];
        for (let after = range.from - 1; ; ) {
          const page = await session.history.outputChunks(range.commandId, { after, limit: PAGE });
          chunks.push(...page.chunks);
          const last = page.chunks.at(-1);
          if (!last || page.chunks.length < PAGE) break;
          after = last.sequence;
        }
        return { chunks, complete: true };
      },
    );
    // Subscribed before the stored output is read: live chunks wait behind it, and repeats are dropped.
    const unwatch = session.client.watchCommand(id, {
      output: (chunk) => feed.chunk(chunk),
      gap: (gap) => feed.gap({ commandId: gap.commandId, agentId: gap.agentId, from: gap.fromSequence, to: gap.nextSequence }),
    });
    feed.catchUp(id, agentId, true);
    let current = true;
    void feed.idle().then(() => {
      if (!current) return;
      setStats({ ...counted });
      setLoaded(true);
    });
    return () => {
      current = false;
      clearTimeout(statsTimer);
      unwatch();
      feed.dispose();
      observer.disconnect();
    };
  }, [session, terminal, id, agentId]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(terminal.term.getSelection() || terminal.text());
    } catch {
      // Clipboard needs a secure context or permission; selecting + Ctrl/Cmd+C still works.
    }
  };

  const download = async () => {
    const text = await session.history.output(id);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${shortId(id)}.log`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const live = !FINAL_COMMAND_STATUSES.has(command.status);
  const lines = stats.lines + (stats.open ? 1 : 0);
  return (
    <div className="terminal-panel output-viewer" data-testid="output-viewer" data-state={loaded ? 'loaded' : 'loading'}>
      <div className="terminal-toolbar">
        <h3 className="terminal-title">Output</h3>
        <span className="muted" data-testid="output-stats">
          {loaded ? `${lines} line${lines === 1 ? '' : 's'} · ${formatBytes(stats.bytes)}` : 'Loading…'}
          {live && loaded ? ' · following live' : ''}
        </span>
        <div className="spacer" />
        <TerminalSearch terminal={terminal} />
        <button type="button" className="ghost small" onClick={() => void copy()} title="Copy the selection, or everything when nothing is selected">
          Copy
        </button>
        <button type="button" className="ghost small" onClick={() => void download()} title="Download the whole output as stored (ANSI colour codes included)" data-testid="output-download">
          Download
        </button>
      </div>
      {trimmed && (
        <p className="terminal-trimmed" data-testid="output-trimmed">
          The first lines are not shown here: this view keeps the last {VIEWER_SCROLLBACK.toLocaleString('en-US')} of{' '}
          {lines.toLocaleString('en-US')} lines.{' '}
          <button type="button" className="link" onClick={() => void download()} data-testid="output-trimmed-download">
            Download the full output
          </button>{' '}
          (every line, colour codes included).
        </p>
      )}
      <div className="terminal-host" ref={host} data-testid="output-terminal" />
    </div>
  );
}
