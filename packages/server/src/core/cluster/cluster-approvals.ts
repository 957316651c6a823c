import {
  APPROVAL_SERVER_ACTOR, ErrorCode, Limits, ProtocolError, toAgent, toDashboard,
  type AgentToServerPayloads, type ApprovalDecidedPayload, type ApprovalDecision, type ApprovalReason,
  type ApprovalRequestPayload, type DashboardToServerPayloads,
} from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Coordination, Fence } from '../../ports/coordination.js';
import type { AuditEntry } from '../../ports/store.js';
import { answerOf, approvalNotFound, decidedAlready, type Approvals, type RunningCommands } from '../approvals.js';
import type { AuditLog } from '../audit-log.js';
import type { AgentLink } from '../registry.js';
import type { ClusterCore } from './cluster-core.js';
import type { FeedEvent } from './event-feed.js';
import type { SharedEventLog } from './shared-event-log.js';

export interface ClusterApprovalsOptions {
  /** How long a question waits for an answer before it is denied. */
  timeoutMs: number;
  /**
   * How long past its deadline a node that does not hold the asking agent waits before it denies
   * the question itself (the node that holds it may be dead): the cluster's lease time.
   */
  graceMs: number;
  now?: () => number;
}

/** What cluster approvals need of the node's registry. */
export interface AgentSockets {
  link(agentId: string): AgentLink | undefined;
  /** Set while this node holds the agent's socket. */
  fenceOf(agentId: string): Fence | undefined;
}

/** What cluster approvals need of the shared event log. */
export type ApprovalEvents = Pick<SharedEventLog, 'append'>;

/** Store reads a timer retries after, when the store failed. */
const RETRY_MS = 1_000;

/**
 * Approvals of a node among several (docs/protocol.md "Approvals"). The store holds every question
 * and its decision, each written in the transaction of the event that announces it, so:
 * - a question goes to every dashboard of the cluster through the shared event log, and is stored
 *   once (asked again after a reconnect, on any node, it keeps its first deadline);
 * - an answer on any node decides it only while it waits: two answers on two nodes, the store
 *   keeps one, and the other gets APPROVAL_DECIDED like a late answer on one node;
 * - the decision reaches the agent from the feed of the node that holds its socket (or from the
 *   store when the agent asks again after a reconnect);
 * - each node knows the waiting questions from its feed (fresh dashboards get them): the node
 *   holding the agent denies at the deadline, any other one `graceMs` later (that node may be dead);
 * - each question and decision is audited in the same transaction, so once, even if its node dies.
 */
export class ClusterApprovals implements Approvals {
  private readonly waiting = new Map<string, { question: ApprovalRequestPayload; timer: NodeJS.Timeout | undefined }>();
  /** Recently decided ids this node's feed delivered, so a question read from the store meanwhile is not taken for waiting. */
  private readonly decidedSeen = new Set<string>();
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly coordination: Coordination,
    private readonly events: ApprovalEvents,
    private readonly sockets: AgentSockets,
    private readonly commands: RunningCommands,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly options: ClusterApprovalsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The questions waiting in the store when the node starts (its feed goes on from there). */
  async start(): Promise<void> {
    for (const question of await this.coordination.waitingApprovals()) {
      if (!this.decidedSeen.has(question.approvalId)) this.track(question);
    }
  }

  pending(): ApprovalRequestPayload[] {
    return [...this.waiting.values()].map((w) => w.question).sort((a, b) => a.requestedAt - b.requestedAt);
  }

  /** Every event this node's feed delivers, in offset order, whichever node committed it. */
  delivered(event: FeedEvent): void {
    if (event.type === 'approval:request') {
      const question = (JSON.parse(event.text) as { payload: ApprovalRequestPayload }).payload;
      if (!this.decidedSeen.has(question.approvalId)) this.track(question);
    } else if (event.type === 'approval:decided') {
      const decided = (JSON.parse(event.text) as { payload: ApprovalDecidedPayload }).payload;
      this.untrack(decided.approvalId);
      this.decidedSeen.add(decided.approvalId);
      for (const old of this.decidedSeen) {
        if (this.decidedSeen.size <= Limits.approvalsDecidedKept) break;
        this.decidedSeen.delete(old);
      }
      // Only the node holding the agent's socket has a link; an agent on none asks again when back.
      this.sockets.link(decided.agentId)?.send(toAgent('approval:response', answerOf(decided)));
    }
  }

  async ask(agentId: string, link: AgentLink, payload: AgentToServerPayloads['approval:request']): Promise<void> {
    const { approvalId, commandId } = payload;
    const stored = await this.coordination.approval(approvalId);
    if (stored && (stored.question.agentId !== agentId || stored.question.commandId !== commandId)) {
      throw new ProtocolError(ErrorCode.INVALID_MESSAGE, `approval ${approvalId} belongs to another command`, { commandId });
    }
    if (stored?.decided) {
      // The decision did not reach the agent (it reconnected, maybe to another node): it gets it again.
      link.send(toAgent('approval:response', answerOf(stored.decided)));
      return;
    }
    if (stored) {
      // Asked again after a reconnect: still waiting, with the deadline it got when first asked.
      this.track(stored.question);
      return;
    }
    const fence = this.sockets.fenceOf(agentId);
    if (!fence) return; // this node lost the agent meanwhile: it asks again where it is now
    const requestedAt = this.now();
    const question: ApprovalRequestPayload = { ...payload, agentId, requestedAt, deadlineAt: requestedAt + this.options.timeoutMs };
    if (this.commands.runningOn(commandId) !== agentId) {
      this.refuse(question, 'command_ended', link);
      return;
    }
    const waitingForAgent = [...this.waiting.values()].filter((w) => w.question.agentId === agentId).length;
    if (waitingForAgent >= Limits.approvalsPendingMax) {
      this.refuse(question, 'refused', link, `${waitingForAgent} approval requests of this agent are waiting already`);
      return;
    }
    const audit: AuditEntry = {
      at: requestedAt, actor: agentId, role: 'agent', action: 'approval.requested', target: approvalId,
      detail: { agentId, commandId, tool: question.tool, deadlineAt: question.deadlineAt },
    };
    const offset = await this.events.append(toDashboard('approval:request', question), { fence, approval: { kind: 'ask', question, audit } });
    if (offset === undefined) return; // the fence moved on (the agent is on another node now), or it was stored meanwhile
    this.logger.info({ approvalId, agentId, commandId, tool: question.tool }, 'approval requested');
    // The command may have ended while the question was being stored (commandEnded did not see it).
    if (this.commands.runningOn(commandId) !== agentId) await this.decide(question, 'deny', 'command_ended', APPROVAL_SERVER_ACTOR);
  }

  async answer(actor: string, payload: DashboardToServerPayloads['approval:response']): Promise<void> {
    const { approvalId } = payload;
    const stored = await this.coordination.approval(approvalId);
    if (!stored) throw approvalNotFound(approvalId);
    let decided = stored.decided;
    if (!decided) {
      const extra = {
        ...(payload.message === undefined ? {} : { message: payload.message }),
        ...(payload.requestId === undefined ? {} : { requestId: payload.requestId }),
      };
      const outcome = await this.decide(stored.question, payload.decision, 'answered', actor, extra);
      if (outcome === 'won') return;
      decided = outcome;
    }
    if (!decided) throw approvalNotFound(approvalId);
    throw decidedAlready(decided);
  }

  commandEnded(commandId: string): void {
    for (const { question } of [...this.waiting.values()]) {
      if (question.commandId !== commandId) continue;
      this.decide(question, 'deny', 'command_ended', APPROVAL_SERVER_ACTOR).catch((err: unknown) => {
        // The deadline denies it then (the store is failing: Health says so).
        this.logger.warn({ err, approvalId: question.approvalId }, 'could not deny the approval of an ended command');
      });
    }
  }

  close(): void {
    this.closed = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  private track(question: ApprovalRequestPayload): void {
    if (this.closed || this.waiting.has(question.approvalId)) return;
    this.waiting.set(question.approvalId, { question, timer: undefined });
    this.armAt(question.approvalId, question.deadlineAt);
  }

  private untrack(approvalId: string): void {
    clearTimeout(this.waiting.get(approvalId)?.timer);
    this.waiting.delete(approvalId);
  }

  private armAt(approvalId: string, at: number): void {
    const waiting = this.waiting.get(approvalId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    waiting.timer = setTimeout(() => void this.expire(approvalId), Math.max(0, at - this.now()));
    waiting.timer.unref();
  }

  private async expire(approvalId: string): Promise<void> {
    const waiting = this.waiting.get(approvalId);
    if (!waiting) return;
    const { question } = waiting;
    const overdue = question.deadlineAt + this.options.graceMs;
    if (!this.sockets.fenceOf(question.agentId) && this.now() < overdue) {
      this.armAt(approvalId, overdue);
      return;
    }
    try {
      await this.decide(question, 'deny', 'timeout', APPROVAL_SERVER_ACTOR);
    } catch {
      this.armAt(approvalId, this.now() + RETRY_MS); // the store is failing (Health says so)
    }
  }

  /**
   * Stores a decision with its approval:decided event, if the question still waits. Resolves 'won'
   * when this one was stored, else with the decision that came first (undefined if none is stored:
   * the question is unknown).
   */
  private async decide(
    question: ApprovalRequestPayload, decision: ApprovalDecision, reason: ApprovalReason, decidedBy: string,
    extra: { message?: string; requestId?: string } = {},
  ): Promise<'won' | ApprovalDecidedPayload | undefined> {
    const { approvalId, agentId, commandId, tool } = question;
    const decided: ApprovalDecidedPayload = {
      approvalId, agentId, commandId, tool, decision, reason, decidedBy, decidedAt: this.now(),
      ...(extra.message === undefined ? {} : { message: extra.message }),
    };
    const event = toDashboard('approval:decided', { ...decided, ...(extra.requestId === undefined ? {} : { requestId: extra.requestId }) });
    const audit: AuditEntry = {
      at: decided.decidedAt, actor: decidedBy, role: reason === 'answered' ? 'dashboard' : 'server',
      action: decision === 'allow' ? 'approval.allowed' : 'approval.denied', target: approvalId,
      detail: { agentId, commandId, tool, reason, ...(extra.message === undefined ? {} : { message: extra.message }) },
    };
    const offset = await this.events.append(event, { approval: { kind: 'decide', decided, audit } });
    if (offset === undefined) {
      // Another decision came first, unless this one was: a commit whose answer was lost is retried and refused.
      const first = (await this.coordination.approval(approvalId))?.decided;
      if (!first || !sameDecision(first, decided)) return first;
    }
    this.logger.info({ approvalId, agentId, commandId, decision, reason, decidedBy }, 'approval decided');
    return 'won';
  }

  /** Refused before it was stored (its command ended, too many waiting): the agent is told, no dashboard is. */
  private refuse(question: ApprovalRequestPayload, reason: ApprovalReason, link: AgentLink, message?: string): void {
    const { approvalId, agentId, commandId, tool } = question;
    const decided: ApprovalDecidedPayload = {
      approvalId, agentId, commandId, tool, decision: 'deny', reason, decidedBy: APPROVAL_SERVER_ACTOR, decidedAt: this.now(),
      ...(message === undefined ? {} : { message }),
    };
    this.logger.info({ approvalId, agentId, commandId, reason }, 'approval refused');
    this.audit.record({
      actor: APPROVAL_SERVER_ACTOR, role: 'server', action: 'approval.denied', target: approvalId,
      detail: { agentId, commandId, tool, reason, ...(message === undefined ? {} : { message }) },
    });
    link.send(toAgent('approval:response', answerOf(decided)));
  }
}

function sameDecision(a: ApprovalDecidedPayload, b: ApprovalDecidedPayload): boolean {
  return a.decidedAt === b.decidedAt && a.decidedBy === b.decidedBy && a.decision === b.decision && a.reason === b.reason;
}

/** The approvals of a node among several, fed by its ordered feed and started from the store's waiting questions. */
export async function startClusterApprovals(
  core: ClusterCore, coordination: Coordination, audit: AuditLog, logger: Logger, options: ClusterApprovalsOptions,
): Promise<ClusterApprovals> {
  const approvals = new ClusterApprovals(coordination, core.eventLog, core.registry, core.scheduler, audit, logger, options);
  // Listening first: a question the store read misses (asked just after it) comes from the feed.
  core.onDelivered((event) => approvals.delivered(event));
  await approvals.start();
  return approvals;
}
