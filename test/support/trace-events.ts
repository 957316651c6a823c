import type { TraceEvent } from '@onsembl/protocol';
import type { TestSocket } from './test-socket.js';

/**
 * Trace events as an AI agent sends them, and the steps of an AI run on a raw agent socket, for
 * tests of how the server takes them in (the agent's own parsing of the CLIs is tested with it).
 */
const at = 1_767_225_600_000;

export const trace = {
  session: (sessionId: string, over: Partial<TraceEvent> = {}): TraceEvent =>
    ({ kind: 'session', at, sessionId, model: 'claude-sonnet-4-5', cwd: '/work/repo', cliVersion: '2.1.0', resumed: false, ...over }) as TraceEvent,
  message: (text: string): TraceEvent => ({ kind: 'message', at, text }),
  toolCall: (toolId: string, command = 'ls'): TraceEvent =>
    ({ kind: 'tool_call', at, toolId, name: 'Bash', input: { command }, summary: `Bash ${command}` }),
  toolResult: (toolId: string, output = 'README.md\n'): TraceEvent =>
    ({ kind: 'tool_result', at, toolId, ok: true, output, outputBytes: Buffer.byteLength(output), truncated: false }),
  usage: (inputTokens: number, outputTokens: number, costUsd: number | null, costSource: 'reported' | 'estimated' = 'reported', model?: string): TraceEvent =>
    ({
      kind: 'usage', at, inputTokens, outputTokens, cacheReadTokens: inputTokens * 10, cacheWriteTokens: 5, costUsd, costSource,
      ...(model === undefined ? {} : { model }),
    }),
  result: (ok = true, reason: 'completed' | 'budget_tokens' | 'not_logged_in' = 'completed'): TraceEvent =>
    ({ kind: 'result', at, ok, reason, turns: 2, durationMs: 1234 }),
};

/** The last usage event of a list, as the command's totals (without its model). */
export function totalsOf(events: readonly TraceEvent[]) {
  const last = [...events].reverse().find((e) => e.kind === 'usage');
  if (!last || last.kind !== 'usage') return undefined;
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource } = last;
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource };
}

/** Requests a command on `agentId` and waits until the raw agent is asked to run it, which it then starts. */
export async function startRun(dashboard: TestSocket, agent: TestSocket, agentId: string, extra: Record<string, unknown> = {}) {
  const requestId = `req-${Math.random().toString(36).slice(2, 10)}`;
  dashboard.send('command:request', { agentId, command: 'list the files', priority: 'normal', requestId, ...extra });
  const commandId = (await dashboard.waitFor('command:status', (p) => p.requestId === requestId)).payload.commandId as string;
  const execute = await agent.waitFor('command:execute', (p) => p.commandId === commandId);
  agent.send('command:started', { commandId, pid: 4242 });
  return { commandId, execute: execute.payload };
}

/** Sends events as trace:event sequences `from`, `from + 1`, … */
export function sendTrace(agent: TestSocket, commandId: string, events: readonly TraceEvent[], from = 1): void {
  events.forEach((event, i) => agent.send('trace:event', { commandId, sequence: from + i, event }));
}

/** The agent's exit of an AI run. */
export function sendExit(agent: TestSocket, commandId: string, extra: Record<string, unknown> = {}): void {
  agent.send('command:exit', {
    commandId, exitCode: 0, signal: null, durationMs: 1234, lastSequence: 0, outcome: 'exited', stopReason: 'completed', ...extra,
  });
}

/** Waits for the command's final status on a dashboard. */
export function finalStatus(dashboard: TestSocket, commandId: string) {
  return dashboard.waitFor('command:status', (p) => p.commandId === commandId && ['completed', 'failed', 'cancelled', 'timeout'].includes(p.status as string));
}
