import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Limits } from '@onsembl/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestAgent, TEST_TOKEN } from './test-support/test-agent.js';
import { TEST_AGENT_ID, TestServer, type TestAgentLink } from './test-support/test-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'onsembl-agent-commands-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Sequences must be 1, 2, 3, … with nothing missing or repeated. */
function expectContiguous(link: TestAgentLink, commandId: string): string {
  const chunks = link.outputOf(commandId);
  expect(chunks.map((c) => c.sequence)).toEqual(chunks.map((_c, i) => i + 1));
  for (const chunk of chunks) expect(Buffer.byteLength(chunk.data)).toBeLessThanOrEqual(Limits.outputChunkBytes);
  return chunks.map((c) => c.data).join('');
}

describe('agent: registration and commands', () => {
  it('registers with agent:connect on /ws/agent with its token, and takes the agentId from the ack', async () => {
    await using server = await TestServer.start();
    await using t = startTestAgent(server, { name: 'builder-1' });
    const connected = t.next('connected');
    const { link, connect } = await server.nextRegistered();
    expect(link.path).toBe('/ws/agent');
    expect(link.token).toBe(TEST_TOKEN);
    expect(connect.payload).toMatchObject({ name: 'builder-1', type: 'shell', running: [] });
    expect(connect.payload.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(connect.payload.hostname).toBeTruthy();
    expect(link.received[0]?.type).toBe('agent:connect'); // first message on the socket
    const [info] = await connected;
    expect(info).toEqual({ agentId: TEST_AGENT_ID, connectionId: 'conn-1' });
    expect(t.agent.agentId).toBe(TEST_AGENT_ID);
    expect(t.agent.connected).toBe(true);
  });

  it('runs echo: started, output with sequences from 1, exit 0', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-echo', 'echo hello world');
    const started = await link.waitFor('command:started', (m) => m.payload.commandId === 'c-echo');
    const exit = await link.waitForExit('c-echo');
    expect(started.payload.pid).toBeGreaterThan(0);
    expect(exit.payload).toMatchObject({ exitCode: 0, signal: null, outcome: 'exited' });
    expect(expectContiguous(link, 'c-echo')).toBe('hello world\r\n');
    expect(exit.payload.lastSequence).toBe(link.outputOf('c-echo').length);
    const order = link.received.filter((m) => 'commandId' in m.payload && m.payload.commandId === 'c-echo').map((m) => m.type);
    expect(order[0]).toBe('command:started');
    expect(order.at(-1)).toBe('command:exit');
  });

  it('reports a non-zero exit code, and lastSequence 0 for a silent command', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-fail', 'exit 3');
    const exit = await link.waitForExit('c-fail');
    expect(exit.payload).toMatchObject({ exitCode: 3, signal: null, outcome: 'exited', lastSequence: 0 });
    expect(link.outputOf('c-fail')).toEqual([]);
  });

  it('passes colours and UTF-8 through the terminal unchanged', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    // Octal escapes: /bin/sh may be dash, whose printf has no \x.
    link.execute('c-colour', "printf '\\033[1;31mred\\033[0m caf\\303\\251 \\342\\202\\254 \\360\\237\\216\\211\\n'");
    await link.waitForExit('c-colour');
    expect(expectContiguous(link, 'c-colour')).toBe('\x1b[1;31mred\x1b[0m café € 🎉\r\n');
  });

  it('streams large output as contiguous chunks of at most 10 KB, losing nothing', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-seq', 'seq 1 30000');
    const exit = await link.waitForExit('c-seq');
    const text = expectContiguous(link, 'c-seq');
    const expected = Array.from({ length: 30000 }, (_v, i) => `${i + 1}\r\n`).join('');
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
    expect(exit.payload.lastSequence).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(expected) / Limits.outputChunkBytes));
  });

  it('uses cwd and env from the request, keeps the token out of the environment', async () => {
    process.env.ONSEMBL_TEST_AGENT_TOKEN = TEST_TOKEN; // as a CLI might have received it
    try {
      await using server = await TestServer.start();
      await using _t = startTestAgent(server);
      const { link } = await server.nextRegistered();
      link.execute('c-env', 'pwd; echo "foo=$FOO term=$TERM"; env', { cwd: scratch, env: { FOO: 'bar baz' } });
      await link.waitForExit('c-env');
      const text = expectContiguous(link, 'c-env');
      expect(text).toContain(`${scratch}\r\n`);
      expect(text).toContain('foo=bar baz term=xterm-256color');
      expect(text).not.toContain(TEST_TOKEN);
      expect(text).not.toContain('ONSEMBL_TEST_AGENT_TOKEN');
    } finally {
      delete process.env.ONSEMBL_TEST_AGENT_TOKEN;
    }
  });

  it('answers a missing working directory with outcome error, without running anything', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-cwd', 'echo never', { cwd: join(scratch, 'missing') });
    const exit = await link.waitForExit('c-cwd');
    expect(exit.payload).toMatchObject({ outcome: 'error', exitCode: null, lastSequence: 0 });
    expect(exit.payload.message).toContain('does not exist');
    expect(link.received.some((m) => m.type === 'command:started')).toBe(false);
  });

  it('never runs a denied command, and says why', async () => {
    const denied = join(scratch, 'denied-file');
    const allowed = join(scratch, 'allowed-file');
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { policy: { allow: ['touch *', 'echo *'], deny: ['touch *denied*'] } });
    const { link } = await server.nextRegistered();
    link.execute('c-deny', `touch ${denied}`);
    link.execute('c-not-allowed', `mkdir ${join(scratch, 'dir')}`);
    link.execute('c-allow', `touch ${allowed}`);
    const deny = await link.waitForExit('c-deny');
    const notAllowed = await link.waitForExit('c-not-allowed');
    await link.waitForExit('c-allow');
    expect(deny.payload).toMatchObject({ outcome: 'denied', exitCode: null, signal: null, lastSequence: 0, durationMs: 0 });
    expect(deny.payload.message).toContain('touch *denied*');
    expect(notAllowed.payload).toMatchObject({ outcome: 'denied' });
    expect(notAllowed.payload.message).toContain('allow');
    expect(existsSync(denied)).toBe(false);
    expect(existsSync(join(scratch, 'dir'))).toBe(false);
    expect(existsSync(allowed)).toBe(true);
    const startedIds = link.received.flatMap((m) => (m.type === 'command:started' ? [m.payload.commandId] : []));
    expect(startedIds).toEqual(['c-allow']);
  });

  it('never runs the same commandId twice: resends its state while held, ignores it once acknowledged', async () => {
    const file = join(scratch, 'once');
    const running = join(scratch, 'once-running');
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();

    link.execute('c-once', `printf x >> ${file}`);
    const first = await link.waitForExit('c-once');
    link.execute('c-once', `printf x >> ${file}`); // held (no command:ack yet): resend, don't run
    await link.waitFor('command:exit', (m) => m.payload.commandId === 'c-once' && m !== first);
    expect(readFileSync(file, 'utf8')).toBe('x');

    link.send('command:ack', { commandId: 'c-once' });
    link.execute('c-once', `printf x >> ${file}`); // forgotten but remembered as done: ignored
    // Also while it runs: two executes back to back start one process.
    link.execute('c-twice', `printf y >> ${running}; sleep 0.2`);
    link.execute('c-twice', `printf y >> ${running}; sleep 0.2`);
    await link.waitForExit('c-twice');
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(readFileSync(running, 'utf8')).toBe('y');
    const onceMessages = link.received.filter((m) => 'commandId' in m.payload && m.payload.commandId === 'c-once');
    expect(onceMessages.filter((m) => m.type === 'command:exit')).toHaveLength(2);
    const pids = new Set(link.received.flatMap((m) => (m.type === 'command:started' && m.payload.commandId === 'c-twice' ? [m.payload.pid] : [])));
    expect(pids.size).toBe(1);
  });

  it('ignores invalid messages and interrupts for unknown commands, and keeps working', async () => {
    await using server = await TestServer.start();
    await using t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.sendRaw('{not json');
    link.sendRaw(JSON.stringify({ version: '1.0.0', type: 'command:execute', timestamp: Date.now(), payload: { commandId: 'x' } }));
    link.sendRaw(JSON.stringify({ version: '2.0.0', type: 'command:execute', timestamp: Date.now(), payload: { commandId: 'y', command: 'echo no' } }));
    link.sendRaw(JSON.stringify({ version: '1.0.0', type: 'surprise', timestamp: Date.now(), payload: {} }));
    link.sendRaw(Buffer.from([1, 2, 3]).toString('latin1'));
    link.send('command:interrupt', { commandId: 'nobody', reason: 'user' });
    link.send('error', { code: 'RATE_LIMIT', message: 'slow down', recoverable: true });
    link.execute('c-after', 'echo still here');
    const exit = await link.waitForExit('c-after');
    expect(exit.payload.exitCode).toBe(0);
    expect(link.received.some((m) => 'commandId' in m.payload && (m.payload.commandId === 'x' || m.payload.commandId === 'y'))).toBe(false);
    await t.waitForLog((e) => e.msg === 'invalid message from the server ignored');
    await t.waitForLog((e) => typeof e.msg === 'string' && e.msg.includes('does not hold'));
    expect(t.agent.connected).toBe(true);
  });

  it('stop() ends running commands, reports their exit, and closes the socket normally', async () => {
    await using server = await TestServer.start();
    await using t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-long', 'sleep 30');
    const started = await link.waitFor('command:started');
    await t.agent.stop();
    const exit = await link.waitForExit('c-long');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', message: 'the agent was stopped' });
    expect((await link.closed).code).toBe(1000);
    expect(() => process.kill(started.payload.pid, 0)).toThrow();
    expect(t.spoolFiles()).toEqual([]);
  });
});
