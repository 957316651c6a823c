import { describe, expect, it } from 'vitest';
import { CloseCode } from '@onsembl/protocol';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorsOf = (messages: Array<{ type: string; payload: Record<string, unknown> }>, code: string) =>
  messages.filter((m) => m.type === 'error' && m.payload.code === code);

describe('rate limits per dashboard connection', () => {
  it('answers messages beyond 100 per second with RATE_LIMIT (recoverable) and keeps serving', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.drain();
    for (let i = 0; i < 130; i++) socket.send('command:interrupt', { commandId: `cmd-${i}` });
    await socket.waitFor('error', () => socket.messages.filter((m) => m.type === 'error').length >= 130);
    const notFound = errorsOf(socket.messages, 'COMMAND_NOT_FOUND');
    const limited = errorsOf(socket.messages, 'RATE_LIMIT');
    expect(notFound.length + limited.length).toBe(130);
    // The burst takes far less than a second, so the window lets exactly 100 through.
    expect(notFound.length).toBeGreaterThanOrEqual(100);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.payload).toMatchObject({ recoverable: true, message: expect.stringContaining('100 messages per second') });
    // The limit counts a one-second window of the server's clock and the server takes no other
    // clock, so the test lets that second pass; longer (a loaded machine) changes nothing.
    await sleep(1_100);
    socket.send('command:interrupt', { commandId: 'after' });
    expect((await socket.waitFor('error', (p) => String(p.message).includes('after'))).payload.code).toBe('COMMAND_NOT_FOUND');
  });

  it('allows 10 command requests per minute and refuses the 11th with its requestId', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    for (let i = 1; i <= 11; i++) socket.send('command:request', { agentId: 'ghost', command: 'ls', priority: 'low', requestId: `r${i}` });
    const eleventh = await socket.waitFor('error', (p) => p.requestId === 'r11');
    expect(eleventh.payload).toMatchObject({ code: 'RATE_LIMIT', recoverable: true });
    // It says when the next request will be accepted: a minute after the first of the ten.
    const retryAfterMs = (eleventh.payload.details as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(50_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(eleventh.payload.message).toContain(`the next is allowed in ${Math.ceil(retryAfterMs / 1000)} s`);
    expect(errorsOf(socket.messages, 'AGENT_OFFLINE').map((m) => m.payload.requestId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `r${i + 1}`),
    );
  });

  it('echoes one heartbeat per interval (20 % early allowed) and rate-limits faster ones', async () => {
    await using server = await startTestServer({ heartbeatIntervalMs: 400 });
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    socket.send('heartbeat', { sequence: 1 });
    expect((await socket.next('heartbeat')).payload).toEqual({ sequence: 1 });
    socket.send('heartbeat', { sequence: 2 });
    expect((await socket.next('error')).payload).toMatchObject({ code: 'RATE_LIMIT', recoverable: true });
    // 0.85 × the interval of the server's own clock: inside the tolerance. No condition to poll for
    // here: the time since the last heartbeat is what is being tested.
    await sleep(340);
    socket.send('heartbeat', { sequence: 3 });
    expect((await socket.next('heartbeat')).payload).toEqual({ sequence: 3 });
  });

  it('closes a connection that keeps abusing the limits with 1008', async () => {
    await using server = await startTestServer();
    await using socket = await openDashboard(server.wsUrl, await server.dashboardToken());
    for (let i = 0; i < 1_000 && socket.ws.readyState === socket.ws.OPEN; i++) socket.send('command:interrupt', { commandId: 'x' });
    expect((await socket.closed).code).toBe(CloseCode.policyViolation);
    // Other dashboards are unaffected.
    await using other = await openDashboard(server.wsUrl, await server.dashboardToken());
    other.send('heartbeat', { sequence: 1 });
    await other.waitFor('heartbeat');
  });
});
