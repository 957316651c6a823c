import { OnsemblClient, dashboardUrlFor } from '@onsembl/client';
import { TerminalRegistry } from '../terminal/terminal-registry.js';
import { DashboardStore } from './dashboard-store.js';

/** Everything one signed-in dashboard needs: the client, its state, and the terminals. */
export interface Session {
  client: OnsemblClient;
  store: DashboardStore;
  terminals: TerminalRegistry;
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
  return { client, store, terminals };
}

export function disposeSession(session: Session): void {
  session.client.close();
  session.terminals.dispose();
  session.store.dispose();
}
