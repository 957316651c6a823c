import type { CommandView } from '../state/dashboard-state.js';
import { formatClock, formatDuration } from '../ui/format.js';
import { commandHref } from '../ui/route.js';

const SHOWN = 50;

/** Recent commands of the agent (live, and finished ones from the store): status, exit code, duration; each opens in History. */
export function HistoryList({ rows }: { rows: readonly CommandView[] }) {
  return (
    <section className="card history-card" aria-labelledby="history-title">
      <h2 className="section-title card-title" id="history-title">
        <span>
          History <span className="count">{rows.length}</span>
        </span>
        <a href="#/history" className="card-link" data-testid="all-history">
          All history →
        </a>
      </h2>
      {rows.length === 0 ? (
        <p className="muted">Nothing has run yet</p>
      ) : (
        <table className="history" data-testid="history">
          <thead>
            <tr>
              <th scope="col">Command</th>
              <th scope="col">Status</th>
              <th scope="col">Exit</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, SHOWN).map((row) => (
              <tr key={row.commandId} data-testid="history-row" data-command-id={row.commandId} data-status={row.status}>
                <td>
                  <a href={commandHref(row.commandId)} className="command-link" title={`Open in History: ${row.command ?? row.commandId}${row.requestedBy ? ` (by ${row.requestedBy})` : ''}`}>
                    <code className="command-text">{row.command ?? row.commandId}</code>
                  </a>
                </td>
                <td>
                  <span className={`badge cmd-${row.status}`}>{row.status}</span>
                </td>
                <td className="num" data-testid="history-exit">
                  {row.exitCode ?? (row.signal ? row.signal : '–')}
                </td>
                <td className="num" title={row.finishedAt ? `finished ${formatClock(row.finishedAt)}` : undefined}>
                  {row.durationMs !== null ? formatDuration(row.durationMs) : row.status === 'running' ? '…' : '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
