import { CloseCode, ErrorCode } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { AgentFatalError } from './index.js';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer } from './test-support/test-server.js';

/** Far longer than the test agent's reconnect delays (20, 50, 100 ms): long enough to see a retry that should not happen. */
const NO_RETRY_WINDOW_MS = 500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent: connection lifecycle', () => {
  it.each([
    ['close code 4001', 'auth-failed', CloseCode.authFailed],
    ['close code 4009', 'replaced', CloseCode.replaced],
  ] as const)('stops for good on %s and emits fatal', async (_name, reason, code) => {
    await using server = await TestServer.start({ autoRegister: false });
    await using t = startTestAgent(server);
    const fatal = t.next('fatal');
    const { link } = await server.nextRegistered();
    link.socket.close(code, 'go away');
    const [error] = await fatal;
    expect(error).toBeInstanceOf(AgentFatalError);
    expect(error).toMatchObject({ reason, code });
    await pause(NO_RETRY_WINDOW_MS);
    expect(server.links).toHaveLength(1);
    expect(t.agent.connected).toBe(false);
  });

  it('stops for good on an AUTH_FAILED error message', async () => {
    await using server = await TestServer.start({ autoRegister: false });
    await using t = startTestAgent(server);
    const fatal = t.next('fatal');
    const { link } = await server.nextRegistered();
    link.send('error', { code: ErrorCode.AUTH_FAILED, message: 'token expired', recoverable: false });
    const [error] = await fatal;
    expect(error.reason).toBe('auth-failed');
    expect(error.message).toContain('token expired');
    expect((await link.closed).code).toBe(CloseCode.normal);
    await pause(NO_RETRY_WINDOW_MS);
    expect(server.links).toHaveLength(1);
  });

  it('stops for good when the upgrade itself is refused with HTTP 401', async () => {
    await using server = await TestServer.start({ rejectUpgradeStatus: 401 });
    await using t = startTestAgent(server);
    const [error] = await t.next('fatal');
    expect(error).toMatchObject({ reason: 'auth-failed', code: 401 });
  });

  it('keeps retrying while the server is down and connects once it is up', async () => {
    const probe = await TestServer.start();
    const port = probe.port;
    await probe.close(); // a port where nothing listens (for now)
    const t = startTestAgent({ url: `ws://127.0.0.1:${port}` });
    try {
      await t.waitForLog((e) => e.msg === 'reconnecting' && Number(e.attempt) >= 4); // past the last delay: it repeats
      await using server = await TestServer.start({ port });
      await t.next('connected');
      expect(server.links).toHaveLength(1);
    } finally {
      await t[Symbol.asyncDispose]();
    }
  });

  it('sends heartbeats at the interval the server gives, and reconnects when the server falls silent', async () => {
    await using server = await TestServer.start({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 400 });
    await using t = startTestAgent(server);
    const { link: first } = await server.nextRegistered();
    const beats = await Promise.all([1, 2, 3].map((n) => first.waitFor('heartbeat', (m) => m.payload.sequence === n)));
    expect(beats.map((b) => b.payload.sequence)).toEqual([1, 2, 3]);
    // Echoed heartbeats keep it alive; now the server goes quiet (a half-open connection).
    server.options.echoHeartbeats = false;
    const disconnected = t.next('disconnected');
    const { link: second } = await server.nextRegistered();
    expect((await disconnected)[0].code).toBe(1006);
    expect((await first.closed).code).toBe(1006); // terminated, no close handshake
    expect(second.index).toBe(2);
  });

  it('drops a socket that never answers agent:connect, then registers on the next one', async () => {
    await using server = await TestServer.start({ autoRegister: false });
    await using t = startTestAgent(server, { heartbeatTimeoutMs: 300 });
    const { link: silent } = await server.nextRegistered();
    const { link: next } = await server.nextRegistered();
    expect((await silent.closed).code).toBe(1006);
    const connected = t.next('connected');
    next.register('agent-late');
    expect((await connected)[0].agentId).toBe('agent-late');
  });

  it('never writes the token to its log', async () => {
    await using server = await TestServer.start({ autoRegister: false });
    await using t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.socket.close(1011, 'oops');
    await t.waitForLog((e) => e.msg === 'reconnecting');
    await server.nextRegistered();
    expect(t.logs.some((line) => line.includes('ws://127.0.0.1'))).toBe(true);
    // The fixture's dispose also fails the test if the token appears in any line.
  });
});
