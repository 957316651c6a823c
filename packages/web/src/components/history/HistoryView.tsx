import type { AgentInfo } from '@onsembl/client';
import { useCommandHistory } from '../../state/command-history.js';
import type { Session } from '../../state/session.js';
import type { HistoryFilter, Route } from '../../ui/route.js';
import { CommandDetail } from './CommandDetail.js';
import { HistoryFilters } from './HistoryFilters.js';
import { HistoryTable } from './HistoryTable.js';

interface Props {
  session: Session;
  agents: readonly AgentInfo[];
  colors: Map<string, string>;
  filter: HistoryFilter;
  commandId: string | null;
  navigate: (route: Route, options?: { replace?: boolean }) => void;
}

/**
 * Every stored command, from the server's history API (not only what this page saw): search on
 * the command text, filters by agent and status, older pages on demand, and one command's details
 * and full output beside the list (below it on a phone).
 */
export function HistoryView({ session, agents, colors, filter, commandId, navigate }: Props) {
  const history = useCommandHistory(session, filter);
  const open = (id: string | null) => navigate({ view: 'history', filter, commandId: id });
  const names = new Map(agents.map((a) => [a.id, a.name]));
  return (
    <div className={commandId ? 'history-view has-detail' : 'history-view'} data-testid="history-view">
      <section className="history-browser" aria-label="Command history">
        <HistoryFilters
          agents={agents}
          filter={filter}
          onChange={(next, replace) => navigate({ view: 'history', filter: next, commandId }, { replace })}
        />
        <div className="history-status" role="status" aria-live="polite">
          <span data-testid="history-count">
            {history.rows.length} command{history.rows.length === 1 ? '' : 's'}
            {history.hasMore ? ' (more older)' : ''}
          </span>
          {history.loading && <span className="muted">Loading…</span>}
          {history.newSince > 0 && (
            <button type="button" className="small" onClick={history.refresh} data-testid="history-new">
              {history.newSince} new · Refresh
            </button>
          )}
          <div className="spacer" />
          <button type="button" className="ghost small" onClick={history.refresh} disabled={history.loading} data-testid="history-refresh">
            Refresh
          </button>
        </div>
        {history.error && (
          <p className="history-error" role="alert" data-testid="history-error">
            Could not load the history: {history.error}
          </p>
        )}
        <HistoryTable rows={history.rows} names={names} colors={colors} selectedId={commandId} filter={filter} onOpen={open} />
        {!history.loading && !history.error && history.rows.length === 0 && (
          <p className="muted history-empty" data-testid="history-empty">
            {filter.q || filter.agentId || filter.statuses.length > 0 ? 'No command matches these filters.' : 'No command has run yet.'}
          </p>
        )}
        {history.hasMore && (
          <button type="button" className="load-older" onClick={history.loadMore} disabled={history.loading} data-testid="history-more">
            {history.loading ? 'Loading…' : 'Load older commands'}
          </button>
        )}
      </section>
      {commandId && (
        <CommandDetail
          key={commandId}
          session={session}
          commandId={commandId}
          agentName={(id) => names.get(id) ?? id}
          color={(id) => colors.get(id) ?? '#4ea1ff'}
          onClose={() => open(null)}
        />
      )}
    </div>
  );
}
