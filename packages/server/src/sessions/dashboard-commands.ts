import {
  AgentType, ErrorCode, ProtocolError, toDashboard, type DashboardToServerPayloads, type ServerToDashboardPayloads,
} from '@onsembl/protocol';
import type { SessionContext } from './session-context.js';

/** Records an audit entry on behalf of the dashboard user who acted. */
export type Audit = (action: string, target?: string, detail?: Record<string, unknown>) => void;

/** What a dashboard user may do to commands: request, interrupt or cancel, stop everything. */
export async function requestCommand(
  ctx: SessionContext, actor: string, payload: DashboardToServerPayloads['command:request'], audit: Audit,
): Promise<void> {
  const { agentId, command, priority, timeoutMs, requestId, maxTokens, maxCostUsd, newSession, sessionId, cols, rows } = payload;
  if (newSession === true && sessionId !== undefined) {
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'command:request: newSession and sessionId contradict each other: send one of them');
  }
  const created = await ctx.scheduler.request({
    agentId, command, priority, timeoutMs, requestId, requestedBy: actor, maxTokens, maxCostUsd, newSession, sessionId,
    terminal: cols !== undefined && rows !== undefined ? { cols, rows } : undefined,
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

/**
 * The focused viewer's terminal changed size: the running command's PTY follows. A command that is
 * not running (finished meanwhile, or still queued) is no error: the resize just has nothing to do.
 */
export function resizeTerminal(ctx: SessionContext, payload: DashboardToServerPayloads['terminal:resize']): void {
  ctx.scheduler.resize(payload.commandId, { cols: payload.cols, rows: payload.rows });
}

/**
 * Keystrokes for a running shell command. Audited by size, never by content: what people type at
 * a prompt may be a password.
 */
export async function typeIntoTerminal(
  ctx: SessionContext, payload: DashboardToServerPayloads['terminal:input'], audit: Audit,
): Promise<void> {
  const { commandId, data } = payload;
  const agentId = ctx.scheduler.runningOn(commandId);
  if (agentId === undefined) {
    const stored = await ctx.store.getCommand(commandId);
    throw new ProtocolError(
      ErrorCode.COMMAND_NOT_FOUND,
      stored ? `Command ${commandId} is ${stored.status}, not running: it takes no input` : `Command ${commandId} is unknown`,
      { commandId },
    );
  }
  const type = ctx.registry.info(agentId)?.type;
  if (type !== AgentType.shell) {
    throw new ProtocolError(
      ErrorCode.INVALID_MESSAGE,
      `terminal:input goes to shell commands only; ${type ?? 'this'} agents take a prompt (send command:request)`,
      { commandId },
    );
  }
  ctx.scheduler.input(commandId, data);
  audit('terminal.input', commandId, { agentId, chars: data.length });
}

/** Empties every queue, interrupts every running command, and tells every dashboard. */
export async function emergencyStop(
  ctx: SessionContext, actor: string, request: DashboardToServerPayloads['emergency:stop'], audit: Audit,
): Promise<void> {
  const answer = ({ cancelled, interrupted }: { cancelled: string[]; interrupted: string[] }) => {
    const payload: ServerToDashboardPayloads['emergency:stop'] = { requestedBy: actor, cancelled, interrupted };
    if (request.reason !== undefined) payload.reason = request.reason;
    if (request.requestId !== undefined) payload.requestId = request.requestId;
    return toDashboard('emergency:stop', payload);
  };
  // Across nodes the answer is committed with the stop itself (docs/protocol.md, emergency stop).
  const reached = ctx.emergencyStop ? await ctx.emergencyStop(answer) : await ctx.scheduler.emergencyStop();
  const { cancelled, interrupted } = reached;
  ctx.logger.warn({ by: actor, cancelled: cancelled.length, interrupted: interrupted.length }, 'emergency stop');
  audit('emergency.stop', undefined, { cancelled, interrupted, ...(request.reason !== undefined ? { reason: request.reason } : {}) });
  if (!ctx.emergencyStop) ctx.broadcaster.broadcast(answer(reached));
}

/** Allows or denies a tool an AI CLI asked to run (the broker audits and tells everyone). */
export async function answerApproval(ctx: SessionContext, actor: string, payload: DashboardToServerPayloads['approval:response']): Promise<void> {
  await ctx.approvals.answer(actor, payload);
}
