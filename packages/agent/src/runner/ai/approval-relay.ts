import { randomUUID } from 'node:crypto';
import type { AgentToServerPayloads, ServerToAgentPayloads } from '@onsembl/protocol';
import { allowTool, controlError, denyTool } from './claude-control.js';
import { capInput } from './trace-caps.js';
import type { ControlRequest, TraceDraft } from './types.js';

/** What the agent hands the server (its command id is added by the command). */
export type ApprovalQuestion = Omit<AgentToServerPayloads['approval:request'], 'commandId'>;
export type ApprovalAnswer = ServerToAgentPayloads['approval:response'];

export interface ApprovalRelayIO {
  /** A line to the CLI's stdin. */
  write(line: string): void;
  /** The question, to every dashboard through the server. */
  ask(question: ApprovalQuestion): void;
  /** A trace event of the run (and its terminal line). */
  trace(draft: TraceDraft): void;
}

/** The words the CLI (and through it the model) gets with a denial. */
export function denialText(answer: Pick<ApprovalAnswer, 'reason' | 'decidedBy' | 'message'>): string {
  switch (answer.reason) {
    case 'timeout':
      return 'Denied: nobody answered the approval request in Onsembl before its deadline.';
    case 'command_ended':
      return 'Denied: the Onsembl command ended before the approval request was answered.';
    case 'refused':
      return `Denied by the Onsembl server: ${answer.message ?? 'it refused the approval request'}`;
    case 'answered':
      return answer.message ? `Denied by ${answer.decidedBy} in Onsembl: ${answer.message}` : `Denied by ${answer.decidedBy} in Onsembl.`;
  }
}

/**
 * One run's approval questions (Claude Code's `can_use_tool` control requests): each gets an id of
 * its own, goes to the server as approval:request and into the trace, and is answered on the CLI's
 * stdin once the server's decision comes. The full input is kept here, so an allowed tool runs with
 * exactly what was asked even when the question shown was cut.
 */
export class ApprovalRelay {
  private readonly waiting = new Map<string, { requestId: string; input: unknown }>();
  private closed = false;

  constructor(
    private readonly io: ApprovalRelayIO,
    /** Whether the server relays questions; without it every question is denied at once. */
    private readonly enabled: boolean,
    private readonly newId: () => string = randomUUID,
  ) {}

  get pending(): number {
    return this.waiting.size;
  }

  request(request: ControlRequest): void {
    if (request.subtype === 'other') {
      this.io.write(controlError(request.requestId, `Onsembl does not handle control request "${request.name}"`));
      return;
    }
    if (!this.enabled || this.closed) {
      this.io.write(denyTool(request.requestId, 'Denied: this Onsembl server does not relay approval requests.'));
      return;
    }
    const approvalId = `ap-${this.newId()}`;
    this.waiting.set(approvalId, { requestId: request.requestId, input: request.input });
    const shown = capInput(request.input);
    const toolUseId = request.toolUseId === undefined ? {} : { toolUseId: request.toolUseId };
    this.io.trace({
      kind: 'approval_request', approvalId, tool: request.tool, ...shown,
      ...(request.toolUseId === undefined ? {} : { toolId: request.toolUseId }),
    });
    this.io.ask({
      approvalId, tool: request.tool, ...shown, ...toolUseId,
      ...(request.description === undefined ? {} : { description: request.description }),
    });
  }

  /** The server's decision; false when this run does not wait for it (answered already, or not its). */
  answer(answer: ApprovalAnswer): boolean {
    const asked = this.waiting.get(answer.approvalId);
    if (!asked) return false;
    this.waiting.delete(answer.approvalId);
    const message = answer.decision === 'deny' ? denialText(answer) : undefined;
    this.io.trace({
      kind: 'approval_decision', approvalId: answer.approvalId, decision: answer.decision, reason: answer.reason,
      decidedBy: answer.decidedBy, ...(answer.message === undefined ? {} : { message: answer.message }),
    });
    this.io.write(message === undefined ? allowTool(asked.requestId, asked.input) : denyTool(asked.requestId, message));
    return true;
  }

  /** The run is ending: questions still waiting get no answer (the server denies them as command_ended). */
  close(): void {
    this.closed = true;
    this.waiting.clear();
  }
}
