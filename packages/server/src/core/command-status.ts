import {
  CommandStatus, FINAL_COMMAND_STATUSES, type AgentToServerPayloads, type CommandStatusPayload, type UsageTotals,
} from '@onsembl/protocol';
import type { CommandRecord, CommandUsage } from '../ports/store.js';

/** A command's usage as the protocol's UsageTotals (the model is said elsewhere). */
export function usageTotals(usage: CommandUsage): UsageTotals {
  const { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource } = usage;
  return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd, costSource };
}

/** The final status a command gets from the agent's exit report. */
export function finalStatusOf(exit: AgentToServerPayloads['command:exit']): CommandStatus {
  switch (exit.outcome) {
    case 'exited':
      return exit.exitCode === 0 ? CommandStatus.completed : CommandStatus.failed;
    case 'timeout':
      return CommandStatus.timeout;
    case 'interrupted':
      return CommandStatus.cancelled;
    case 'denied':
    case 'error':
      return CommandStatus.failed;
  }
}

/** The command:status payload describing a command record as it is now. */
export function statusPayload(command: CommandRecord, requestId?: string): CommandStatusPayload {
  const payload: CommandStatusPayload = {
    commandId: command.id,
    agentId: command.agentId,
    status: command.status,
    command: command.command,
    priority: command.priority,
    requestedBy: command.requestedBy,
    queuedAt: command.queuedAt,
  };
  if (requestId !== undefined) payload.requestId = requestId;
  if (command.startedAt !== undefined) payload.startedAt = command.startedAt;
  if (command.finishedAt !== undefined) payload.finishedAt = command.finishedAt;
  if (command.exitCode !== undefined) payload.exitCode = command.exitCode;
  if (command.signal !== undefined) payload.signal = command.signal;
  if (command.durationMs !== undefined) payload.durationMs = command.durationMs;
  if (command.message !== undefined) payload.message = command.message;
  if (command.sessionId !== undefined) payload.sessionId = command.sessionId;
  if (FINAL_COMMAND_STATUSES.has(command.status)) {
    payload.lastSequence = command.lastSequence;
    if (command.stopReason !== undefined) payload.stopReason = command.stopReason;
    if (command.lastTraceSequence !== undefined) payload.lastTraceSequence = command.lastTraceSequence;
    if (command.usage) payload.usage = usageTotals(command.usage);
  }
  return payload;
}
