import { AgentStatus } from '@onsembl/protocol';
import { useEffect, useMemo, useState } from 'react';
import { clearToken, saveToken } from '../auth/token-storage.js';
import { useDashboardState } from '../state/hooks.js';
import { createSession, disposeSession } from '../state/session.js';
import { agentColors } from '../ui/agent-colors.js';
import { noticeFromFailure } from '../ui/notices.js';
import { useRoute } from '../ui/route.js';
import { AgentList } from './AgentList.js';
import { ApprovalCards } from './approvals/ApprovalCards.js';
import { AgentWorkspace } from './AgentWorkspace.js';
import { EmergencyBanner } from './EmergencyBanner.js';
import { HistoryView } from './history/HistoryView.js';
import { NoAgents } from './NoAgents.js';
import { SignIn } from './SignIn.js';
import { Toasts } from './Toasts.js';
import { TopBar } from './TopBar.js';

interface Props {
  token: string;
  onSignOut: () => void;
}

export function Dashboard({ token, onSignOut }: Props) {
  const [session] = useState(() => createSession(token));
  useEffect(() => {
    session.client.connect();
    return () => disposeSession(session);
  }, [session]);

  const state = useDashboardState(session.store);
  const agents = useMemo(() => [...state.agents].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)), [state.agents]);
  const colors = useMemo(() => agentColors(state.agents), [state.agents]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [renewing, setRenewing] = useState(false);
  const [route, navigate] = useRoute();
  const selected = agents.find((a) => a.id === selectedId) ?? agents[0] ?? null;

  const { connection } = state;
  const authFailed = connection.reason === 'auth-failed';
  useEffect(() => {
    if (authFailed) clearToken();
  }, [authFailed]);

  return (
    <div className="app">
      <TopBar
        session={session}
        view={route.view}
        connection={connection}
        running={agents.filter((a) => a.status === AgentStatus.busy).length}
        queued={Object.values(state.queues).reduce((sum, queue) => sum + queue.length, 0)}
        onSignOut={onSignOut}
        onRenewToken={() => setRenewing(true)}
      />
      <ApprovalCards session={session} state={state} />
      {state.emergency && <EmergencyBanner session={session} event={state.emergency} onDismiss={() => session.store.dispatch({ type: 'dismiss-emergency' })} />}
      {route.view === 'history' ? (
        <HistoryView session={session} agents={agents} colors={colors} filter={route.filter} commandId={route.commandId} navigate={navigate} />
      ) : (
        <div className="layout">
          <AgentList agents={agents} colors={colors} selectedId={selected?.id ?? null} onSelect={setSelectedId} state={state} stale={connection.state !== 'CONNECTED'} />
          {selected ? (
            <AgentWorkspace key={selected.id} session={session} state={state} agent={selected} color={colors.get(selected.id) ?? '#4ea1ff'} />
          ) : (
            <NoAgents />
          )}
        </div>
      )}
      <Toasts notices={state.notices} onDismiss={(id) => session.store.dispatch({ type: 'dismiss', id })} />
      {renewing && !authFailed && (
        <div className="overlay" role="dialog" aria-modal="true" aria-label="Renew the token">
          <SignIn
            title="Renew your token"
            onCancel={() => setRenewing(false)}
            onToken={(next) => {
              setRenewing(false);
              session.client
                .refreshToken(next)
                .then(() => saveToken(next))
                .catch((error: unknown) => session.store.dispatch({ type: 'notice', notice: noticeFromFailure('Renew the token', error) }));
            }}
          />
        </div>
      )}
      {authFailed && (
        <div className="overlay" role="dialog" aria-modal="true" aria-label="Sign in again">
          <SignIn
            error={`The server refused the token (AUTH_FAILED: ${connection.lastError ?? 'invalid or expired'}). Paste a new dashboard token to carry on.`}
            onToken={(next) => {
              saveToken(next);
              session.client.setToken(next);
              session.client.reconnect();
            }}
          />
        </div>
      )}
    </div>
  );
}
