import { OnsemblClient, dashboardUrlFor, type HistoryApi } from '@onsembl/client';
import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import { watchAttention, type AttentionKeeper } from '../alerts/attention.js';
import { ApprovalStore } from '../approvals/approval-store.js';
import { TerminalRegistry } from '../terminal/terminal-registry.js';
import { HISTORY_LIMIT } from './dashboard-state.js';
import { DashboardStore } from './dashboard-store.js';

/** Everything one signed-in dashboard needs: the client, its state, and the terminals. */
export interface Session {
  client: OnsemblClient;
  /** The server's history REST API (same origin, the session's token). */
  history: HistoryApi;
  store: DashboardStore;
  terminals: TerminalRegistry;
  /** The tab title's badge and the browser notifications. */
  attention: AttentionKeeper;
  /** AI runs' approval questions, waiting and decided. */
  approvals: ApprovalStore;
  /** Unsubscribes of the session's own listeners. */
  dispose: (() => void)[];
}

export function createSession(token: string): Session {
  const client = new OnsemblClient({
    url: dashboardUrlFor(window.location),
    token,
    auth: 'in-band',
    clientInfo: { name: 'onsembl-web', version: '0.1.0', userAgent: navigator.userAgent.slice(0, 512) },
  });
  const store = new DashboardStore(client);
  const commandText = (commandId: string): string | null => {
    const state = store.getState();
    const known = state.commands[commandId]?.command;
    if (known) return known;
    for (const queue of Object.values(state.queues)) {
      const entry = queue.find((e) => e.commandId === commandId);
      if (entry) return entry.command;
    }
    return null;
  };
  // The registry subscribes after the store, so the store already knows a command's text when its
  // `running` status reaches the terminal.
  const terminals = new TerminalRegistry(client, commandText);
  const { history } = client;
  // A fresh start (first connection, or the server could not replay): finished commands come from
  // the store, so the side History survives reloads and resets.
  const seed = client.on('connected', ({ resumed }) => {
    if (resumed) return;
    history.commands({ status: [...FINAL_COMMAND_STATUSES], limit: HISTORY_LIMIT }).then(
      (page) => store.dispatch({ type: 'seed', commands: page.commands }),
      () => undefined, // the live view works without it; the History view reports API errors
    );
  });
  const agentName = (agentId: string) => store.getState().agents.find((a) => a.id === agentId)?.name ?? agentId;
  const attention = watchAttention(client, agentName);
  const approvals = new ApprovalStore(client, attention.keeper, agentName);
  return {
    client, history, store, terminals, attention: attention.keeper, approvals,
    dispose: [seed, retryWhenTheNetworkMayBeBack(client), attention.stop, () => approvals.dispose()],
  };
}

/**
 * A laptop that wakes, a phone that comes back to the tab, a network that returns: try at once
 * instead of waiting out a 30 s backoff step (the client ignores this unless a retry is pending).
 */
function retryWhenTheNetworkMayBeBack(client: OnsemblClient): () => void {
  const hint = () => client.retrySoon();
  const visible = () => {
    if (document.visibilityState === 'visible') hint();
  };
  window.addEventListener('online', hint);
  window.addEventListener('focus', hint);
  document.addEventListener('visibilitychange', visible);
  return () => {
    window.removeEventListener('online', hint);
    window.removeEventListener('focus', hint);
    document.removeEventListener('visibilitychange', visible);
  };
}

export function disposeSession(session: Session): void {
  for (const off of session.dispose) off();
  session.client.close();
  session.terminals.dispose();
  session.store.dispose();
}
