import { ProtocolError } from '@onsembl/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OnsemblClient } from './client.js';
import type { CommandEvent } from './command-events.js';
import { ClientError } from './errors.js';
import { FakeSocket } from './test-support/fake-socket.js';

function connected() {
  const client = new OnsemblClient({ url: 'ws://x/ws/dashboard', token: 't', WebSocket: FakeSocket, random: () => 0.5 });
  client.connect();
  const socket = FakeSocket.last.open().ack();
  return { client, socket };
}

function lastRequestId(socket: FakeSocket): string {
  return String(socket.sent.at(-1)?.payload.requestId);
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.reset();
});
afterEach(() => vi.useRealTimers());

describe('requestCommand', () => {
  it('sends command:request with a requestId and resolves with the queued commandId', async () => {
    const { client, socket } = connected();
    const answer = client.requestCommand({ agentId: 'a1', command: 'echo hi', priority: 'high', timeoutMs: 5_000 });
    expect(socket.sent.at(-1)).toMatchObject({
      type: 'command:request', payload: { agentId: 'a1', command: 'echo hi', priority: 'high', timeoutMs: 5_000 },
    });
    const requestId = lastRequestId(socket);
    expect(requestId).toMatch(/^[A-Za-z0-9._:@-]+$/);
    socket.receive('command:status', { commandId: 'other', agentId: 'a1', status: 'queued', requestId: 'someone-else' });
    socket.receive('command:status', { commandId: 'cmd-9', agentId: 'a1', status: 'queued', requestId });
    await expect(answer).resolves.toBe('cmd-9');
  });

  it('rejects with the server error that carries its requestId, and does not report it twice', async () => {
    const { client, socket } = connected();
    const serverErrors: string[] = [];
    client.on('serverError', (error) => serverErrors.push(error.code));
    const answer = client.requestCommand({ agentId: 'a1', command: 'ls', priority: 'normal' });
    socket.receive('error', { code: 'QUEUE_FULL', message: 'queue is full', recoverable: true, requestId: lastRequestId(socket) });
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'QUEUE_FULL', message: 'queue is full', recoverable: true });
    socket.receive('error', { code: 'RATE_LIMIT', message: 'slow down', recoverable: true });
    expect(serverErrors).toEqual(['RATE_LIMIT']);
  });

  it('rejects at once when not connected', async () => {
    const client = new OnsemblClient({ url: 'ws://x/ws/dashboard', token: 't', WebSocket: FakeSocket });
    await expect(client.requestCommand({ agentId: 'a', command: 'ls', priority: 'low' })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('rejects with CONNECTION_LOST when the connection drops before the answer', async () => {
    const { client, socket } = connected();
    const answer = client.requestCommand({ agentId: 'a', command: 'ls', priority: 'low' });
    socket.drop();
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('rejects with REQUEST_TIMEOUT when the server never answers', async () => {
    const { client, socket } = connected();
    const answer = client.requestCommand({ agentId: 'a', command: 'ls', priority: 'low' });
    const settled = answer.catch((e: unknown) => e);
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(10_000);
      socket.receive('heartbeat', { sequence: i });
    }
    expect(await settled).toMatchObject({ code: 'REQUEST_TIMEOUT' });
  });
});

describe('interrupt, emergency stop, token refresh', () => {
  it('interrupt resolves when the command reaches a final status', async () => {
    const { client, socket } = connected();
    let done = false;
    const answer = client.interrupt('cmd-1').then(() => (done = true));
    expect(socket.sent.at(-1)).toMatchObject({ type: 'command:interrupt', payload: { commandId: 'cmd-1' } });
    socket.receive('command:status', { commandId: 'cmd-1', agentId: 'a', status: 'running' });
    await Promise.resolve();
    expect(done).toBe(false);
    socket.receive('command:status', { commandId: 'cmd-1', agentId: 'a', status: 'cancelled' });
    await answer;
    expect(done).toBe(true);
  });

  it('interrupt rejects with COMMAND_NOT_FOUND from the server', async () => {
    const { client, socket } = connected();
    const answer = client.interrupt('gone');
    socket.receive('error', { code: 'COMMAND_NOT_FOUND', message: 'no such command', recoverable: true, requestId: lastRequestId(socket) });
    await expect(answer).rejects.toMatchObject({ code: 'COMMAND_NOT_FOUND' });
  });

  it('emergencyStop sends emergency:stop and resolves with the broadcast that answers it', async () => {
    const { client, socket } = connected();
    const seen: string[][] = [];
    client.on('emergency', (event) => seen.push(event.cancelled));
    const answer = client.emergencyStop('runaway');
    expect(socket.sent.at(-1)).toMatchObject({ type: 'emergency:stop', payload: { reason: 'runaway' } });
    const payload = { requestedBy: 'me', cancelled: ['c1'], interrupted: ['c2'], requestId: lastRequestId(socket) };
    socket.receive('emergency:stop', payload);
    await expect(answer).resolves.toEqual(payload);
    expect(seen).toEqual([['c1']]);
  });

  it('refreshToken resolves with the new expiry and uses the token on the next connection', async () => {
    const { client, socket } = connected();
    const answer = client.refreshToken('fresh');
    expect(socket.sent.at(-1)).toMatchObject({ type: 'token:refresh', payload: { token: 'fresh' } });
    socket.receive('token:refreshed', { expiresAt: 123_456, requestId: lastRequestId(socket) });
    await expect(answer).resolves.toEqual({ expiresAt: 123_456 });
    expect(client.status.tokenExpiresAt).toBe(123_456);
    vi.advanceTimersByTime(5_000);
    socket.receive('heartbeat', { sequence: 0 });
    socket.drop();
    FakeSocket.last.open();
    expect(FakeSocket.last.sent[0]).toMatchObject({ type: 'dashboard:connect', payload: { token: 'fresh' } });
  });
});

describe('per-command streams', () => {
  it('commandEvents yields output, gaps and statuses of one command and ends at its final status', async () => {
    const { client, socket } = connected();
    const events = client.commandEvents('c1');
    socket.receive('command:status', { commandId: 'c1', agentId: 'a', status: 'running' });
    socket.receive('terminal:output', { commandId: 'c2', agentId: 'a', data: 'not mine', stream: 'stdout', sequence: 1 });
    socket.receive('terminal:output', { commandId: 'c1', agentId: 'a', data: 'hello\r\n', stream: 'stdout', sequence: 1 });
    socket.receive('output:gap', { commandId: 'c1', agentId: 'a', fromSequence: 2, nextSequence: 5 });
    socket.receive('command:status', { commandId: 'c1', agentId: 'a', status: 'completed', exitCode: 0 });
    socket.receive('terminal:output', { commandId: 'c1', agentId: 'a', data: 'late', stream: 'stdout', sequence: 6 });
    const seen: string[] = [];
    for await (const event of events) seen.push(describeEvent(event));
    expect(seen).toEqual(['status running', 'output hello\r\n', 'gap 2-5', 'status completed']);
  });

  it('watchCommand stops calling back after unsubscribe', () => {
    const { client, socket } = connected();
    const data: string[] = [];
    const off = client.watchCommand('c1', { output: (chunk) => data.push(chunk.data) });
    socket.receive('terminal:output', { commandId: 'c1', agentId: 'a', data: 'one', stream: 'stdout', sequence: 1 });
    off();
    socket.receive('terminal:output', { commandId: 'c1', agentId: 'a', data: 'two', stream: 'stdout', sequence: 2 });
    expect(data).toEqual(['one']);
  });
});

function describeEvent(event: CommandEvent): string {
  if (event.type === 'output') return `output ${event.chunk.data}`;
  if (event.type === 'gap') return `gap ${event.gap.fromSequence}-${event.gap.nextSequence}`;
  return `status ${event.status.status}`;
}

describe('approvals and trace events (1.x)', () => {
  const question = { approvalId: 'ap-1', agentId: 'a1', commandId: 'c1', tool: 'Bash', input: { command: 'touch x' }, requestedAt: 1, deadlineAt: 2 };
  const decided = { approvalId: 'ap-1', agentId: 'a1', commandId: 'c1', tool: 'Bash', decision: 'allow', reason: 'answered', decidedBy: 'me', decidedAt: 3 } as const;

  it('reports questions, decisions and trace events as events', () => {
    const { client, socket } = connected();
    const seen: string[] = [];
    client.on('approval', (q) => seen.push(`ask ${q.approvalId}`));
    client.on('approvalDecided', (d) => seen.push(`decided ${d.approvalId} ${d.decision}`));
    client.on('trace', (t) => seen.push(`trace ${t.sequence} ${t.event.kind}`));
    socket.receive('approval:request', question);
    socket.receive('trace:event', { commandId: 'c1', agentId: 'a1', sequence: 4, event: { kind: 'approval_request', at: 1, approvalId: 'ap-1', tool: 'Bash', input: {} } });
    socket.receive('approval:decided', decided);
    expect(seen).toEqual(['ask ap-1', 'trace 4 approval_request', 'decided ap-1 allow']);
  });

  it('answerApproval sends the decision and resolves with the decided event that echoes its requestId', async () => {
    const { client, socket } = connected();
    const answer = client.answerApproval('ap-1', 'deny', 'not now');
    expect(socket.sent.at(-1)).toMatchObject({ type: 'approval:response', payload: { approvalId: 'ap-1', decision: 'deny', message: 'not now' } });
    socket.receive('approval:decided', { ...decided, decidedBy: 'someone', requestId: 'another' });
    socket.receive('approval:decided', { ...decided, decision: 'deny', requestId: lastRequestId(socket) });
    await expect(answer).resolves.toMatchObject({ decision: 'deny', decidedBy: 'me' });
  });

  it('answerApproval rejects with APPROVAL_DECIDED and who decided first', async () => {
    const { client, socket } = connected();
    const answer = client.answerApproval('ap-1', 'allow');
    socket.receive('error', {
      code: 'APPROVAL_DECIDED', message: 'decided already', recoverable: true, requestId: lastRequestId(socket),
      details: { decision: 'deny', decidedBy: 'bob', reason: 'answered' },
    });
    await expect(answer).rejects.toMatchObject({ code: 'APPROVAL_DECIDED', details: { decidedBy: 'bob', decision: 'deny' } });
  });
});
