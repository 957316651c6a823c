import type { HistoryCommand } from '@onsembl/client';
import type { CSSProperties } from 'react';
import { formatDuration, formatTimestamp, formatWhen } from '../../ui/format.js';
import { routeHash, type HistoryFilter } from '../../ui/route.js';

interface Props {
  rows: readonly HistoryCommand[];
  names: Map<string, string>;
  colors: Map<string, string>;
  selectedId: string | null;
  filter: HistoryFilter;
  onOpen: (commandId: string) => void;
}

export function exitText(row: Pick<HistoryCommand, 'exitCode' | 'signal'>): string {
  if (row.exitCode !== undefined && row.exitCode !== null) return String(row.exitCode);
  return row.signal ?? '–';
}

export function durationText(row: Pick<HistoryCommand, 'durationMs' | 'status' | 'startedAt' | 'finishedAt'>): string {
  if (row.durationMs !== undefined) return formatDuration(row.durationMs);
  if (row.startedAt !== undefined && row.finishedAt !== undefined) return formatDuration(row.finishedAt - row.startedAt);
  return row.status === 'running' ? '…' : '–';
}

/** Stored commands, newest first: what, where, how it ended, how long, who, when. A row opens the command. */
export function HistoryTable({ rows, names, colors, selectedId, filter, onOpen }: Props) {
  if (rows.length === 0) return null;
  return (
    <table className="history history-table" data-testid="history-table">
      <thead>
        <tr>
          <th scope="col">Command</th>
          <th scope="col">Agent</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">Exit</th>
          <th scope="col" className="num">Duration</th>
          <th scope="col">By</th>
          <th scope="col" className="num">When</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.id}
            className="history-entry"
            aria-selected={row.id === selectedId}
            onClick={() => onOpen(row.id)}
            data-testid="history-entry"
            data-command-id={row.id}
            data-status={row.status}
          >
            <td className="cell-command">
              <a
                href={routeHash({ view: 'history', filter, commandId: row.id })}
                className="command-text"
                title={row.command}
                onClick={(e) => e.stopPropagation()}
                data-testid="history-entry-command"
              >
                {row.command}
              </a>
            </td>
            <td className="cell-agent" style={{ '--agent-color': colors.get(row.agentId) ?? 'var(--offline)' } as CSSProperties}>
              <span className="agent-swatch" aria-hidden="true" /> {names.get(row.agentId) ?? row.agentId}
            </td>
            <td className="cell-status">
              <span className={`badge cmd-${row.status}`}>{row.status}</span>
            </td>
            <td className="num cell-exit" data-testid="history-entry-exit">
              {exitText(row)}
            </td>
            <td className="num cell-duration">{durationText(row)}</td>
            <td className="cell-by">{row.requestedBy}</td>
            <td className="num cell-when" title={formatTimestamp(row.queuedAt)}>
              {formatWhen(row.queuedAt)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
