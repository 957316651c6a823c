import type { CommandView } from '../state/dashboard-state.js';
import { formatClock, formatDuration } from '../ui/format.js';

const SHOWN = 50;

/** Recent commands of the agent: status, exit code, duration. */
export function HistoryList({ rows }: { rows: readonly CommandView[] }) {
  return (
    <section className="card history-card" aria-labelledby="history-title">
      <h2 className="section-title" id="history-title">
        History <span className="count">{rows.length}</span>
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
                  <code className="command-text" title={`${row.command ?? row.commandId}${row.requestedBy ? ` (by ${row.requestedBy})` : ''}`}>
                    {row.command ?? row.commandId}
                  </code>
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
