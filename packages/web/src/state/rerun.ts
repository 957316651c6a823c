import type { CommandRequest, HistoryCommand } from '@onsembl/client';
import type { Session } from './session.js';
import { noticeFromFailure } from '../ui/notices.js';

/** The request that runs a stored command again: same agent, text, priority, timeout and budgets. */
export function rerunRequest(command: HistoryCommand): CommandRequest {
  return {
    agentId: command.agentId,
    command: command.command,
    priority: command.priority,
    ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
    ...(command.maxTokens !== undefined ? { maxTokens: command.maxTokens } : {}),
    ...(command.maxCostUsd !== undefined ? { maxCostUsd: command.maxCostUsd } : {}),
  };
}

/** Queues the stored commands again, in the order given; a refusal becomes a notice and stops the rest. */
export async function rerun(session: Session, commandIds: readonly string[]): Promise<number> {
  let queued = 0;
  for (const id of commandIds) {
    try {
      const stored = await session.history.command(id);
      await session.client.requestCommand(rerunRequest(stored));
      queued++;
    } catch (error) {
      session.store.dispatch({ type: 'notice', notice: noticeFromFailure(`Re-run ${id}`, error) });
      break;
    }
  }
  return queued;
}
