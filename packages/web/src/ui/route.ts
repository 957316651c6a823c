import { CommandStatus, FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { useCallback, useEffect, useState } from 'react';

/** What the history view shows: a search, filters, and the command opened (if any). */
export interface HistoryFilter {
  /** Full-text search on the command text. */
  q: string;
  /** '' for every agent. */
  agentId: string;
  /** Empty for every status. */
  statuses: readonly CommandStatus[];
}

export type Route = { view: 'live' } | { view: 'history'; filter: HistoryFilter; commandId: string | null };

/** In the order the history filters show them: the final ones first. */
export const ALL_STATUSES: readonly CommandStatus[] = [...FINAL_COMMAND_STATUSES, CommandStatus.running, CommandStatus.queued];
export const NO_FILTER: HistoryFilter = { q: '', agentId: '', statuses: [] };

/**
 * The view lives in the address bar's hash (`#/history?q=npm&agent=…&status=failed,timeout&cmd=…`),
 * so a reload, a bookmark or the back button come back to the same search and command.
 */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  if (path !== '/history') return { view: 'live' };
  const params = new URLSearchParams(search);
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is CommandStatus => (ALL_STATUSES as readonly string[]).includes(s));
  return {
    view: 'history',
    filter: { q: params.get('q') ?? '', agentId: params.get('agent') ?? '', statuses },
    commandId: params.get('cmd') || null,
  };
}

export function routeHash(route: Route): string {
  if (route.view === 'live') return '#/';
  const params = new URLSearchParams();
  if (route.filter.q) params.set('q', route.filter.q);
  if (route.filter.agentId) params.set('agent', route.filter.agentId);
  if (route.filter.statuses.length > 0) params.set('status', route.filter.statuses.join(','));
  if (route.commandId) params.set('cmd', route.commandId);
  const query = params.toString();
  return `#/history${query ? `?${query}` : ''}`;
}

/** A link to one command in the history view. */
export function commandHref(commandId: string): string {
  return routeHash({ view: 'history', filter: NO_FILTER, commandId });
}

/** The current route, and a navigate function (`replace` for typing in a search box: no history entry per key). */
export function useRoute(): [Route, (route: Route, options?: { replace?: boolean }) => void] {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const navigate = useCallback((next: Route, options: { replace?: boolean } = {}) => {
    const hash = routeHash(next);
    if (hash === window.location.hash) return;
    if (options.replace) {
      window.history.replaceState(window.history.state, '', hash);
      setRoute(parseRoute(hash));
    } else {
      window.location.hash = hash;
    }
  }, []);
  return [route, navigate];
}
