import { describe, expect, it } from 'vitest';
import {
  ErrorCode, ErrorRecoverable, parseAgentMessage, parseDashboardMessage, parseServerToAgentMessage,
  parseServerToDashboardMessage, PROTOCOL_VERSION, protocolJsonSchema,
} from './index.js';

const at = 1_767_225_600_000;
const wire = (type: string, payload: unknown) => JSON.stringify({ version: PROTOCOL_VERSION, type, timestamp: at, payload });
const question = { approvalId: 'ap-1', commandId: 'cmd-1', tool: 'Bash', input: { command: 'touch approved.txt' }, toolUseId: 'toolu_01MOCK' };

describe('approvals (1.x)', () => {
  it('carries a question from an agent and to dashboards, with its deadline', () => {
    expect(parseAgentMessage.parse(wire('approval:request', question))).toMatchObject({ ok: true });
    const toDashboards = { ...question, agentId: 'claude-1', requestedAt: at, deadlineAt: at + 300_000, description: 'Run command' };
    expect(parseServerToDashboardMessage.parse(wire('approval:request', toDashboards))).toMatchObject({ ok: true });
    expect(parseServerToDashboardMessage.parse(wire('approval:request', { ...question, agentId: 'claude-1', requestedAt: at }))).toMatchObject({ ok: false });
  });

  it('takes allow or deny from a dashboard, nothing else', () => {
    expect(parseDashboardMessage.parse(wire('approval:response', { approvalId: 'ap-1', decision: 'allow', requestId: 'r1' }))).toMatchObject({ ok: true });
    expect(parseDashboardMessage.parse(wire('approval:response', { approvalId: 'ap-1', decision: 'deny', message: 'not in prod' }))).toMatchObject({ ok: true });
    expect(parseDashboardMessage.parse(wire('approval:response', { approvalId: 'ap-1', decision: 'maybe' }))).toMatchObject({ ok: false });
    expect(parseDashboardMessage.parse(wire('approval:response', { approvalId: 'ap-1', decision: 'deny', message: 'x'.repeat(2001) }))).toMatchObject({ ok: false });
    expect(parseDashboardMessage.parse(wire('approval:response', { decision: 'allow' }))).toMatchObject({ ok: false });
  });

  it('tells every dashboard and the agent how it was decided, by whom and why', () => {
    const decided = { approvalId: 'ap-1', agentId: 'claude-1', commandId: 'cmd-1', tool: 'Bash', decision: 'deny', reason: 'timeout', decidedBy: 'onsembl', decidedAt: at };
    expect(parseServerToDashboardMessage.parse(wire('approval:decided', decided))).toMatchObject({ ok: true });
    expect(parseServerToDashboardMessage.parse(wire('approval:decided', { ...decided, reason: 'bored' }))).toMatchObject({ ok: false });
    const answer = { approvalId: 'ap-1', commandId: 'cmd-1', decision: 'allow', reason: 'answered', decidedBy: 'alice' };
    expect(parseServerToAgentMessage.parse(wire('approval:response', answer))).toMatchObject({ ok: true });
    expect(parseServerToAgentMessage.parse(wire('command:execute', { commandId: 'cmd-1', command: 'go', approvals: true }))).toMatchObject({ ok: true });
  });

  it('has its own recoverable error codes and its messages in the JSON Schema', () => {
    expect(ErrorRecoverable[ErrorCode.APPROVAL_DECIDED]).toBe(true);
    expect(ErrorRecoverable[ErrorCode.APPROVAL_NOT_FOUND]).toBe(true);
    const defs = protocolJsonSchema().$defs as Record<string, unknown>;
    for (const key of ['agent-to-server/approval:request', 'server-to-agent/approval:response', 'dashboard-to-server/approval:response', 'server-to-dashboard/approval:request', 'server-to-dashboard/approval:decided']) {
      expect(defs[key], key).toBeDefined();
    }
  });
});
