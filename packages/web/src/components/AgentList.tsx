import type { CSSProperties } from 'react';
import type { AgentInfo } from '@onsembl/client';
import { queueOf, type DashboardState } from '../state/dashboard-state.js';

interface Props {
  agents: readonly AgentInfo[];
  colors: Map<string, string>;
  selectedId: string | null;
  onSelect: (id: string) => void;
  state: DashboardState;
  /** Not connected: the statuses shown are the last known ones. */
  stale: boolean;
}

/** Every agent with its colour, type and live status; a row on desktop, chips on a phone. */
export function AgentList({ agents, colors, selectedId, onSelect, state, stale }: Props) {
  return (
    <nav className={stale ? 'agents stale' : 'agents'} aria-label="Agents">
      <h2 className="section-title">
        Agents <span className="count">{agents.length}</span>
      </h2>
      <ul>
        {agents.map((agent) => {
          const queued = queueOf(state, agent.id).length;
          return (
            <li key={agent.id}>
              <button
                type="button"
                className="agent"
                aria-pressed={agent.id === selectedId}
                onClick={() => onSelect(agent.id)}
                style={{ '--agent-color': colors.get(agent.id) } as CSSProperties}
                data-testid="agent-item"
                data-agent-name={agent.name}
                data-status={agent.status}
              >
                <span className="agent-swatch" aria-hidden="true" />
                <span className="agent-name">{agent.name}</span>
                <span className="agent-type">{agent.type}</span>
                {(agent.hostname || agent.cwd) && (
                  <span className="agent-where" title={[agent.hostname, agent.cwd].filter(Boolean).join(':')} data-testid="agent-where">
                    {agent.hostname}
                    {agent.hostname && agent.cwd ? ' · ' : ''}
                    {agent.cwd ? shortPath(agent.cwd) : ''}
                  </span>
                )}
                <span className={`badge status-${agent.status}`} data-testid="agent-status">
                  {agent.status}
                </span>
                {queued > 0 && (
                  <span className="agent-queued" title={`${queued} queued`}>
                    +{queued}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
      {stale && agents.length > 0 && <p className="stale-note">Last known status: not connected.</p>}
    </nav>
  );
}

/** The last two folders of a path (`…/src/onsembl`): enough to tell agents apart on a card. */
function shortPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`;
}
