import type { TestSocket } from './test-socket.js';

/** What dashboards of a cluster test read from the messages they received. */
export const FINAL_STATUSES: readonly string[] = ['completed', 'failed', 'cancelled', 'timeout'];

type Message = TestSocket['messages'][number];
type AgentView = { id: string; status: string };

/** Whether the dashboard's latest status of the agent is `status`. */
export function agentIs(dashboard: TestSocket, agentId: string, status: string): boolean {
  return agentStatuses(dashboard, agentId).at(-1) === status;
}

/** Every status the dashboard was told of the agent, in order (agent:status events only). */
export function agentStatuses(dashboard: TestSocket, agentId: string): string[] {
  return dashboard.messages
    .filter((m) => m.type === 'agent:status' && (m.payload.agent as AgentView).id === agentId)
    .map((m) => (m.payload.agent as AgentView).status);
}

/** The ids of the commands the dashboard requested with these request ids (their queued status). */
export async function commandIds(dashboard: TestSocket, requestIds: readonly string[]): Promise<string[]> {
  return Promise.all(requestIds.map(async (requestId) => {
    const answer = await Promise.race([
      dashboard.waitFor('command:status', (p) => p.requestId === requestId),
      dashboard.waitFor('error', (p) => p.requestId === requestId).then((e) => {
        throw new Error(`request ${requestId} refused: ${JSON.stringify(e.payload)}`);
      }),
    ]);
    return answer.payload.commandId as string;
  }));
}

/** The command's final status as the dashboard got it. */
export function finalStatus(dashboard: TestSocket, commandId: string, timeoutMs = 20_000): Promise<Message> {
  return dashboard.waitFor('command:status', (p) => p.commandId === commandId && FINAL_STATUSES.includes(p.status as string), timeoutMs);
}

/** Every final status of the command the dashboard got (one, when all is well). */
export function finalStatuses(dashboard: TestSocket, commandId: string): Message[] {
  return dashboard.messages.filter((m) => m.type === 'command:status' && m.payload.commandId === commandId && FINAL_STATUSES.includes(m.payload.status as string));
}

/** The command's output chunks the dashboard received, in arrival order. */
export function chunksOf(dashboard: TestSocket, commandId: string): Array<{ sequence: number; data: string }> {
  return dashboard.messages
    .filter((m) => m.type === 'terminal:output' && m.payload.commandId === commandId)
    .map((m) => ({ sequence: m.payload.sequence as number, data: m.payload.data as string }));
}

/** The command's output as the dashboard received it. */
export function outputOf(dashboard: TestSocket, commandId: string): string {
  return chunksOf(dashboard, commandId).map((c) => c.data).join('');
}
