import type { AgentInfo } from '@onsembl/client';
import type { CommandStatus } from '@onsembl/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import { ALL_STATUSES, type HistoryFilter } from '../../ui/route.js';

interface Props {
  agents: readonly AgentInfo[];
  filter: HistoryFilter;
  /** `replace`: the change is a keystroke in the search box, not worth a back-button step. */
  onChange: (filter: HistoryFilter, replace: boolean) => void;
}

const SEARCH_DELAY_MS = 250;

/** Search box (full-text on the command text), agent select and status toggles. */
export function HistoryFilters({ agents, filter, onChange }: Props) {
  const id = useId();
  const [q, setQ] = useState(filter.q);
  // Follow the route (back button, links): set while rendering when the route's search changes.
  const [routeQ, setRouteQ] = useState(filter.q);
  if (routeQ !== filter.q) {
    setRouteQ(filter.q);
    setQ(filter.q);
  }
  // The latest props, so live re-renders do not restart the search delay (updated before the
  // effect below runs: effects run in order).
  const latest = useRef({ filter, onChange });
  useEffect(() => {
    latest.current = { filter, onChange };
  });
  useEffect(() => {
    if (q === latest.current.filter.q) return;
    const timer = setTimeout(() => latest.current.onChange({ ...latest.current.filter, q }, true), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [q]);

  const toggle = (status: CommandStatus) => {
    const statuses = filter.statuses.includes(status) ? filter.statuses.filter((s) => s !== status) : [...filter.statuses, status];
    onChange({ ...filter, statuses }, false);
  };

  return (
    <form className="history-filters" role="search" aria-label="Search the command history" onSubmit={(e) => {
      e.preventDefault();
      onChange({ ...filter, q }, false);
    }}>
      <label className="visually-hidden" htmlFor={`${id}-q`}>
        Search commands
      </label>
      <input
        id={`${id}-q`}
        type="search"
        className="history-search"
        placeholder="Search commands (e.g. npm test)"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        autoComplete="off"
        spellCheck={false}
        data-testid="history-search"
      />
      <label className="visually-hidden" htmlFor={`${id}-agent`}>
        Agent
      </label>
      <select id={`${id}-agent`} value={filter.agentId} onChange={(e) => onChange({ ...filter, agentId: e.target.value }, false)} data-testid="history-agent">
        <option value="">All agents</option>
        {agents.map((agent) => (
          <option key={agent.id} value={agent.id}>
            {agent.name}
          </option>
        ))}
        {filter.agentId && !agents.some((a) => a.id === filter.agentId) && <option value={filter.agentId}>{filter.agentId}</option>}
      </select>
      <div className="status-toggles" role="group" aria-label="Status">
        {ALL_STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            className={`toggle cmd-${status}`}
            aria-pressed={filter.statuses.includes(status)}
            onClick={() => toggle(status)}
            data-testid="history-status"
            data-status={status}
          >
            {status}
          </button>
        ))}
      </div>
    </form>
  );
}
