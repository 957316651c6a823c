import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloseCode, type AgentToServerPayloads } from '@onsembl/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer, type TestAgentLink } from './test-support/test-server.js';

type Output = AgentToServerPayloads['terminal:output'];

const scratch = mkdtempSync(join(tmpdir(), 'onsembl-agent-reconnect-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Expected text of a script that prints `line 1` … `line n`. */
const lines = (n: number) => Array.from({ length: n }, (_v, i) => `line ${i + 1}\r\n`).join('');
const printLines = (n: number, pause: string) => `i=1; while [ $i -le ${n} ]; do echo "line $i"; i=$((i+1)); sleep ${pause}; done`;

/** As a server stores output: by sequence, each once. Fails on a gap. */
function assemble(chunks: Output[]): string {
  const bySequence = new Map<number, string>();
  for (const chunk of chunks) bySequence.set(chunk.sequence, chunk.data);
  const sequences = [...bySequence.keys()].sort((a, b) => a - b);
  expect(sequences).toEqual(sequences.map((_s, i) => i + 1));
  return sequences.map((s) => bySequence.get(s)).join('');
}

function expectContiguousFrom(chunks: Output[], first: number): void {
  expect(chunks.map((c) => c.sequence)).toEqual(chunks.map((_c, i) => first + i));
}

async function waitForSequence(link: TestAgentLink, commandId: string, sequence: number) {
  return link.waitFor('terminal:output', (m) => m.payload.commandId === commandId && m.payload.sequence >= sequence);
}

describe('agent: reconnect and resume', () => {
  it('resumes after the server drops the socket: re-registers with running, resends exactly the unacknowledged output', async () => {
    await using server = await TestServer.start({ autoAckOutput: false });
    await using t = startTestAgent(server);
    const { link: first } = await server.nextRegistered();
    first.execute('c-lines', printLines(30, '0.03'));
    await waitForSequence(first, 'c-lines', 4);
    first.send('output:ack', { commandId: 'c-lines', sequence: 2 });
    // A roundtrip so the ack is processed before the drop (the agent handles messages in order).
    first.execute('c-marker', 'true');
    await first.waitForExit('c-marker');
    const disconnected = t.next('disconnected');
    first.socket.terminate();
    expect((await disconnected)[0].code).toBe(1006);

    const { link: second, connect } = await server.nextRegistered();
    const entry = connect.payload.running.find((r) => r.commandId === 'c-lines');
    expect(entry).toMatchObject({ finished: false });
    expect(entry?.lastSequence).toBeGreaterThanOrEqual(4);
    expect(connect.payload.running.find((r) => r.commandId === 'c-marker')).toEqual({ commandId: 'c-marker', lastSequence: 0, finished: true });

    const exit = await second.waitForExit('c-lines');
    // Still running at the reconnect: `started` is repeated (it may have been lost), before any output.
    const startedAgain = second.received.findIndex((m) => m.type === 'command:started' && m.payload.commandId === 'c-lines');
    expect(startedAgain).toBeGreaterThan(0);
    expect(startedAgain).toBeLessThan(second.received.findIndex((m) => m.type === 'terminal:output'));
    expect(second.received.some((m) => m.type === 'command:started' && m.payload.commandId === 'c-marker')).toBe(false);
    const resent = second.outputOf('c-lines');
    expectContiguousFrom(resent, 3); // nothing acknowledged comes again, nothing is skipped
    expect(exit.payload.lastSequence).toBe(resent.at(-1)?.sequence);
    const firstTwo = first.outputOf('c-lines').filter((c) => c.sequence <= 2);
    expect(assemble([...firstTwo, ...resent])).toBe(lines(30));
    // The marker's exit was never acknowledged with command:ack, so it is delivered again too.
    expect((await second.waitForExit('c-marker')).payload.exitCode).toBe(0);
  });

  it('survives a server restart on the same port: output and exit produced while disconnected arrive, then command:ack forgets', async () => {
    const done = join(scratch, 'restart-done');
    let server: TestServer | undefined = await TestServer.start();
    const port = server.port;
    try {
      await using t = startTestAgent(server);
      const { link: first } = await server.nextRegistered();
      first.execute('c-restart', `echo before; sleep 0.3; echo during; touch ${done}; exit 7`);
      await first.waitFor('terminal:output', (m) => m.payload.commandId === 'c-restart' && m.payload.data.includes('before'));
      const acked = first.outputOf('c-restart').map((c) => c.sequence).at(-1) as number;
      // The test server acknowledged it on arrival; a roundtrip makes sure the agent has seen that.
      first.execute('c-roundtrip', 'true');
      await first.waitForExit('c-roundtrip');
      await server.close(); // the server is gone; the agent keeps retrying
      server = undefined;
      await t.waitForLog((e) => e.commandId === 'c-restart' && e.msg === 'command ended');
      expect(existsSync(done)).toBe(true);

      server = await TestServer.start({ port });
      const { link: second, connect } = await server.nextRegistered();
      const entry = connect.payload.running.find((r) => r.commandId === 'c-restart');
      expect(entry).toMatchObject({ finished: true });
      const exit = await second.waitForExit('c-restart');
      expect(exit.payload).toMatchObject({ exitCode: 7, outcome: 'exited', lastSequence: entry?.lastSequence });
      const resent = second.outputOf('c-restart');
      expectContiguousFrom(resent, acked + 1);
      expect(resent.map((c) => c.data).join('')).toContain('during');
      expect(second.received.findIndex((m) => m.type === 'command:exit')).toBeGreaterThan(
        second.received.findLastIndex((m) => m.type === 'terminal:output'),
      );

      second.send('command:ack', { commandId: 'c-restart' });
      second.send('command:ack', { commandId: 'c-roundtrip' });
      second.execute('c-marker', 'true');
      await second.waitForExit('c-marker');
      second.send('command:ack', { commandId: 'c-marker' });
      second.socket.close(CloseCode.goingAway, 'bye');
      const { connect: third } = await server.nextRegistered();
      expect(third.payload.running).toEqual([]);
    } finally {
      await server?.[Symbol.asyncDispose]();
    }
  });

  it('spills unacknowledged output to disk past a tiny memory limit and recovers all of it after a reconnect', async () => {
    await using server = await TestServer.start({ autoAckOutput: false });
    await using t = startTestAgent(server, { memoryLimitBytes: 4096 });
    const { link: first } = await server.nextRegistered();
    first.execute('c-spill', 'seq 1 40000');
    const firstExit = await first.waitForExit('c-spill');
    expect(firstExit.payload.lastSequence).toBeGreaterThan(20);
    expect(t.spoolFiles().length).toBeGreaterThan(0);

    first.socket.terminate();
    const { link: second, connect } = await server.nextRegistered();
    expect(connect.payload.running).toEqual([{ commandId: 'c-spill', lastSequence: firstExit.payload.lastSequence, finished: true }]);
    const exit = await second.waitForExit('c-spill');
    const resent = second.outputOf('c-spill');
    expectContiguousFrom(resent, 1);
    const expected = Array.from({ length: 40000 }, (_v, i) => `${i + 1}\r\n`).join('');
    const text = assemble(resent);
    expect(text.length).toBe(expected.length);
    expect(text === expected).toBe(true);
    expect(exit.payload.lastSequence).toBe(resent.length);

    second.send('output:ack', { commandId: 'c-spill', sequence: exit.payload.lastSequence });
    second.send('command:ack', { commandId: 'c-spill' });
    second.execute('c-marker', 'true');
    await second.waitForExit('c-marker');
    expect(t.spoolFiles()).toEqual([]);
  });

  it('keeps a command running while disconnected and delivers its whole output afterwards', async () => {
    let server: TestServer | undefined = await TestServer.start();
    const port = server.port;
    try {
      await using t = startTestAgent(server);
      const { link: first } = await server.nextRegistered();
      first.execute('c-away', printLines(20, '0.02'));
      await waitForSequence(first, 'c-away', 1);
      await server.close();
      server = undefined;
      await t.waitForLog((e) => e.commandId === 'c-away' && e.msg === 'command ended');
      server = await TestServer.start({ port });
      const { link: second } = await server.nextRegistered();
      await second.waitForExit('c-away');
      expect(assemble([...first.outputOf('c-away'), ...second.outputOf('c-away')])).toBe(lines(20));
    } finally {
      await server?.[Symbol.asyncDispose]();
    }
  });
});
