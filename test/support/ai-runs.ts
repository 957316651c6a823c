import { FINAL_COMMAND_STATUSES, type CommandStatus } from '@onsembl/protocol';
import type { TestSocket } from './test-socket.js';

/** Whether a command:status payload's status is one a command ends in (the protocol's own list). */
export const isFinal = (status: unknown): boolean => FINAL_COMMAND_STATUSES.has(status as CommandStatus);

/** Terminal text without its colour codes. */
export const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** Requests a command from a dashboard; resolves with its id once it is queued. */
export async function requestCommand(dashboard: TestSocket, agentId: string, command: string, requestId: string, extra: Record<string, unknown> = {}): Promise<string> {
  dashboard.send('command:request', { agentId, command, priority: 'normal', requestId, ...extra });
  const queued = await dashboard.waitFor('command:status', (p) => p.requestId === requestId && p.status === 'queued');
  return queued.payload.commandId as string;
}

/** Waits for a command's final status; what the dashboard was shown of it: its text, its trace messages and their events. */
export async function finishedRun(dashboard: TestSocket, commandId: string) {
  const final = await dashboard.waitFor('command:status', (p) => p.commandId === commandId && isFinal(p.status));
  const mine = dashboard.messages.filter((m) => (m.payload as { commandId?: string }).commandId === commandId);
  const traceMessages = mine.filter((m) => m.type === 'trace:event');
  return {
    status: final.payload,
    text: plain(mine.filter((m) => m.type === 'terminal:output').map((m) => m.payload.data as string).join('')),
    traceMessages,
    trace: traceMessages.map((m) => m.payload.event as Record<string, unknown> & { kind: string }),
  };
}
