import {
  ErrorCode, ProtocolError, toDashboard, type DashboardToServerPayloads, type ServerToDashboardPayloads,
} from '@onsembl/protocol';
import type { SessionContext } from './session-context.js';

/** Records an audit entry on behalf of the dashboard user who acted. */
export type Audit = (action: string, target?: string, detail?: Record<string, unknown>) => void;

/** What a dashboard user may do to commands: request, interrupt or cancel, stop everything. */
export async function requestCommand(
  ctx: SessionContext, actor: string, payload: DashboardToServerPayloads['command:request'], audit: Audit,
): Promise<void> {
  const { agentId, command, priority, timeoutMs, requestId, maxTokens, maxCostUsd, newSession, sessionId } = payload;
  if (newSession === true && sessionId !== undefined) {
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'command:request: newSession and sessionId contradict each other: send one of them');
  }
  const created = await ctx.scheduler.request({
    agentId, command, priority, timeoutMs, requestId, requestedBy: actor, maxTokens, maxCostUsd, newSession, sessionId,
  });
  const ai = { maxTokens, maxCostUsd, newSession, sessionId };
  const given = Object.fromEntries(Object.entries(ai).filter(([, v]) => v !== undefined));
  audit('command.requested', created.id, { agentId, command, priority, ...(timeoutMs ? { timeoutMs } : {}), ...given });
}

export async function interruptCommand(
  ctx: SessionContext, payload: DashboardToServerPayloads['command:interrupt'], audit: Audit,
): Promise<void> {
  const outcome = await ctx.scheduler.interrupt(payload.commandId, 'user');
  audit(outcome === 'cancelled' ? 'command.cancelled' : 'command.interrupted', payload.commandId);
}

/** Empties every queue, interrupts every running command, and tells every dashboard. */
export async function emergencyStop(
  ctx: SessionContext, actor: string, request: DashboardToServerPayloads['emergency:stop'], audit: Audit,
): Promise<void> {
  const { cancelled, interrupted } = await ctx.scheduler.emergencyStop();
  const payload: ServerToDashboardPayloads['emergency:stop'] = { requestedBy: actor, cancelled, interrupted };
  if (request.reason !== undefined) payload.reason = request.reason;
  if (request.requestId !== undefined) payload.requestId = request.requestId;
  ctx.logger.warn({ by: actor, cancelled: cancelled.length, interrupted: interrupted.length }, 'emergency stop');
  audit('emergency.stop', undefined, { cancelled, interrupted, ...(payload.reason ? { reason: payload.reason } : {}) });
  ctx.broadcaster.broadcast(toDashboard('emergency:stop', payload));
}
