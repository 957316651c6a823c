import type { AgentInfo } from '@onsembl/client';
import { historyOf, queueOf, runningCommand, type DashboardState } from '../state/dashboard-state.js';
import type { Session } from '../state/session.js';
import { CommandForm } from './CommandForm.js';
import { HistoryList } from './HistoryList.js';
import { QueueList } from './QueueList.js';
import { RunningCommand } from './RunningCommand.js';
import { RunView } from './run/RunView.js';
import { TerminalPanel } from './TerminalPanel.js';

interface Props {
  session: Session;
  state: DashboardState;
  agent: AgentInfo;
  color: string;
}

/** The selected agent: its terminal and command form, and beside them what runs, waits and ran. */
export function AgentWorkspace({ session, state, agent, color }: Props) {
  const connected = state.connection.state === 'CONNECTED';
  const running = runningCommand(state, agent.id);
  // AI agents: the run view beside the terminal follows the running command, else the latest one.
  const followed = agent.type === 'shell' ? null : (running ?? historyOf(state, agent.id)[0] ?? null);
  return (
    <div className="workspace" data-testid="workspace" data-agent-name={agent.name}>
      <section className="main-column" aria-label={`Terminal of ${agent.name}`}>
        {followed ? (
          <div className="run-split">
            <TerminalPanel session={session} agent={agent} color={color} running={connected ? running : null} />
            <RunView
              session={session}
              commandId={followed.commandId}
              agentId={agent.id}
              title={followed.command ?? followed.commandId}
              finished={followed.status === 'running' ? null : followed.status}
            />
          </div>
        ) : (
          <TerminalPanel session={session} agent={agent} color={color} running={connected ? running : null} />
        )}
        <CommandForm session={session} agent={agent} disabled={!connected} />
      </section>
      <aside className="side-column" aria-label={`Commands of ${agent.name}`}>
        <RunningCommand session={session} command={running} disabled={!connected} />
        <QueueList session={session} queue={queueOf(state, agent.id)} disabled={!connected} />
        <HistoryList rows={historyOf(state, agent.id)} />
      </aside>
    </div>
  );
}
