import {
  APPROVAL_SERVER_ACTOR, ErrorCode, Limits, ProtocolError, toAgent, toDashboard,
  type AgentToServerPayloads, type ApprovalDecidedPayload, type ApprovalDecision, type ApprovalReason,
  type ApprovalRequestPayload, type DashboardToServerPayloads,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { AuditLog } from './audit-log.js';
import type { Broadcaster } from './broadcaster.js';
import type { AgentLink, Registry } from './registry.js';

export interface ApprovalBrokerOptions {
  /** How long a question waits for an answer before it is denied. */
  timeoutMs: number;
  now?: () => number;
}

/** What the broker needs to know about commands: which agent runs one right now. */
export interface RunningCommands {
  runningOn(commandId: string): string | undefined;
}

/** What sessions use: the broker of one server (below), or of a node among several (core/cluster/cluster-approvals.ts). */
export interface Approvals {
  /** The questions waiting now, oldest first (for a dashboard that starts from nothing). */
  pending(): ApprovalRequestPayload[];
  /** An agent asks (for the first time, or again after a reconnect). */
  ask(agentId: string, link: AgentLink, payload: AgentToServerPayloads['approval:request']): void | Promise<void>;
  /** A dashboard user answers; a question decided already (or unknown) is refused with why. */
  answer(actor: string, payload: DashboardToServerPayloads['approval:response']): void | Promise<void>;
  /** A command reached its final state: what it still asked is denied. */
  commandEnded(commandId: string): void;
  close(): void;
}

interface Waiting {
  question: ApprovalRequestPayload;
  timer: NodeJS.Timeout;
}

/**
 * Approval questions of AI runs (docs/protocol.md "Approvals"): an agent's question goes to every
 * dashboard with a deadline; the first answer wins and every dashboard hears how it was decided, by
 * whom and why; the agent is told and answers its CLI. No answer by the deadline, or a command that
 * ends first, denies. Every question and decision is in the audit log; the run's trace (written by
 * the agent) keeps them with the command.
 *
 * Kept in memory on the node the agent is connected to. An agent asks again after every reconnect
 * until it has its answer, so a question outlives a lost connection (its deadline runs on), and a
 * server restart (it gets a new deadline). Decided questions are remembered (the last
 * `Limits.approvalsDecidedKept`) to give a late answer the decision that was made, and to answer an
 * agent that asks again because the decision did not reach it.
 */
export class ApprovalBroker implements Approvals {
  private readonly waiting = new Map<string, Waiting>();
  /** Insertion-ordered: the oldest decision is forgotten first. */
  private readonly decided = new Map<string, ApprovalDecidedPayload>();
  private readonly now: () => number;

  constructor(
    private readonly registry: Registry,
    private readonly commands: RunningCommands,
    private readonly broadcaster: Broadcaster,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly options: ApprovalBrokerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The questions waiting now, oldest first (for a dashboard that starts from nothing). */
  pending(): ApprovalRequestPayload[] {
    return [...this.waiting.values()].map((w) => w.question);
  }

  /** An agent asks (for the first time, or again after a reconnect). */
  ask(agentId: string, link: AgentLink, payload: AgentToServerPayloads['approval:request']): void {
    const { approvalId, commandId } = payload;
    const known = this.waiting.get(approvalId)?.question ?? this.decided.get(approvalId);
    if (known && (known.agentId !== agentId || known.commandId !== commandId)) {
      throw new ProtocolError(ErrorCode.INVALID_MESSAGE, `approval ${approvalId} belongs to another command`, { commandId });
    }
    const decided = this.decided.get(approvalId);
    if (decided) {
      // The decision did not reach the agent (it reconnected): it gets it again.
      link.send(toAgent('approval:response', answerOf(decided)));
      return;
    }
    if (this.waiting.has(approvalId)) return; // asked again after a reconnect: still waiting
    const requestedAt = this.now();
    const question: ApprovalRequestPayload = { ...payload, agentId, requestedAt, deadlineAt: requestedAt + this.options.timeoutMs };
    if (this.commands.runningOn(commandId) !== agentId) {
      this.decide(question, 'deny', 'command_ended', APPROVAL_SERVER_ACTOR, link);
      return;
    }
    const waitingForAgent = [...this.waiting.values()].filter((w) => w.question.agentId === agentId).length;
    if (waitingForAgent >= Limits.approvalsPendingMax) {
      this.decide(question, 'deny', 'refused', APPROVAL_SERVER_ACTOR, link, { message: `${waitingForAgent} approval requests of this agent are waiting already` });
      return;
    }
    const timer = setTimeout(() => this.expire(approvalId), this.options.timeoutMs);
    timer.unref();
    this.waiting.set(approvalId, { question, timer });
    this.logger.info({ approvalId, agentId, commandId, tool: question.tool }, 'approval requested');
    this.audit.record({ actor: agentId, role: 'agent', action: 'approval.requested', target: approvalId, detail: { agentId, commandId, tool: question.tool, deadlineAt: question.deadlineAt } });
    this.broadcaster.broadcast(toDashboard('approval:request', question));
  }

  /** A dashboard user answers; a question decided already (or unknown) is refused with why. */
  answer(actor: string, payload: DashboardToServerPayloads['approval:response']): void {
    const { approvalId } = payload;
    const waiting = this.waiting.get(approvalId);
    if (waiting) {
      this.decide(waiting.question, payload.decision, 'answered', actor, undefined, {
        ...(payload.message === undefined ? {} : { message: payload.message }),
        ...(payload.requestId === undefined ? {} : { requestId: payload.requestId }),
      });
      return;
    }
    const decided = this.decided.get(approvalId);
    if (decided) throw decidedAlready(decided);
    throw approvalNotFound(approvalId);
  }

  /** A command reached its final state: what it still asked is denied. */
  commandEnded(commandId: string): void {
    for (const { question } of [...this.waiting.values()]) {
      if (question.commandId === commandId) this.decide(question, 'deny', 'command_ended', APPROVAL_SERVER_ACTOR);
    }
  }

  close(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private expire(approvalId: string): void {
    const waiting = this.waiting.get(approvalId);
    if (waiting) this.decide(waiting.question, 'deny', 'timeout', APPROVAL_SERVER_ACTOR);
  }

  private decide(
    question: ApprovalRequestPayload, decision: ApprovalDecision, reason: ApprovalReason, decidedBy: string,
    link?: AgentLink, extra: { message?: string; requestId?: string } = {},
  ): void {
    const { approvalId, agentId, commandId, tool } = question;
    const waiting = this.waiting.get(approvalId);
    if (waiting) clearTimeout(waiting.timer);
    this.waiting.delete(approvalId);
    const decided: ApprovalDecidedPayload = {
      approvalId, agentId, commandId, tool, decision, reason, decidedBy, decidedAt: this.now(),
      ...(extra.message === undefined ? {} : { message: extra.message }),
    };
    this.decided.set(approvalId, decided);
    for (const old of this.decided.keys()) {
      if (this.decided.size <= Limits.approvalsDecidedKept) break;
      this.decided.delete(old);
    }
    this.logger.info({ approvalId, agentId, commandId, decision, reason, decidedBy }, 'approval decided');
    const server = decidedBy === APPROVAL_SERVER_ACTOR && reason !== 'answered';
    this.audit.record({
      actor: decidedBy, role: server ? 'server' : 'dashboard', action: decision === 'allow' ? 'approval.allowed' : 'approval.denied',
      target: approvalId, detail: { agentId, commandId, tool, reason, ...(extra.message === undefined ? {} : { message: extra.message }) },
    });
    // Dashboards that never saw the question (refused at once) are not told of it either.
    if (waiting) this.broadcaster.broadcast(toDashboard('approval:decided', { ...decided, ...(extra.requestId === undefined ? {} : { requestId: extra.requestId }) }));
    // An agent that is not connected asks again when it is, and gets the decision then.
    (link ?? this.registry.link(agentId))?.send(toAgent('approval:response', answerOf(decided)));
  }
}

/** The refusal of an answer to a question decided already: who decided, how and when. */
export function decidedAlready(decided: ApprovalDecidedPayload): ProtocolError {
  const { approvalId } = decided;
  const how = decided.reason === 'answered' ? `${decided.decision === 'allow' ? 'allowed' : 'denied'} by ${decided.decidedBy}` : `denied (${decided.reason})`;
  return new ProtocolError(ErrorCode.APPROVAL_DECIDED, `Approval ${approvalId} was decided already: ${how}`, {
    approvalId, decision: decided.decision, decidedBy: decided.decidedBy, reason: decided.reason, decidedAt: decided.decidedAt,
  });
}

export function approvalNotFound(approvalId: string): ProtocolError {
  return new ProtocolError(ErrorCode.APPROVAL_NOT_FOUND, `Approval ${approvalId} is unknown (or so old it was forgotten)`, { approvalId });
}

/** What the agent is told of a decision (approval:response). */
export function answerOf(decided: ApprovalDecidedPayload) {
  const { approvalId, commandId, decision, reason, decidedBy, message } = decided;
  return { approvalId, commandId, decision, reason, decidedBy, ...(message === undefined ? {} : { message }) };
}
