import { OnsemblClient, type ClientOptions, type OutputChunk, type OutputGap } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestAgent } from './fixtures/agent.js';
import { printerOutput, startPrinter } from './fixtures/printer.js';
import { TestServer } from './fixtures/server.js';
import { waitFor } from './fixtures/wait.js';

/** `ws`'s WebSocket, remembering the newest instance so a test can kill the client's socket. */
class TrackedWebSocket extends WebSocket {
  static last: TrackedWebSocket | undefined;

  constructor(url: string) {
    super(url);
    TrackedWebSocket.last = this;
  }
}

/** A client that records its connections (resumed or not) and resets; closed when the scope ends. */
function trackedClient(server: TestServer, token: string, options: Partial<ClientOptions> = {}) {
  const client = new OnsemblClient({
    url: server.dashboardUrl, token, WebSocket: TrackedWebSocket, clientInfo: { name: 'resume-test' }, stableAfterMs: 0, ...options,
  });
  const connections: boolean[] = [];
  let resets = 0;
  client.on('connected', ({ resumed }) => connections.push(resumed));
  client.on('reset', () => resets++);
  return Object.assign(client, {
    connections,
    resets: () => resets,
    [Symbol.dispose]: () => client.close(),
  });
}

/** Small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('client resume against a real server', () => {
  it('resumes after a disconnect: what it missed is replayed, no reset, no fresh agent list', async () => {
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'resumer');
    using watcher = trackedClient(server, await server.token('dashboard', 'watcher'));
    using other = trackedClient(server, await server.token('dashboard', 'other'));
    watcher.connect();
    other.connect();
    const agent = await waitFor('the agent', () => watcher.agents.find((a) => a.name === 'resumer' && a.status === 'online'));
    const seen: string[] = [];
    watcher.on('message', (m) => seen.push(m.type));
    let output = '';
    watcher.on('output', (chunk) => (output += chunk.data));

    watcher.close();
    const commandId = await other.requestCommand({ agentId: agent.id, command: 'echo missed-while-away', priority: 'normal' });
    await waitFor('the command to finish', async () => (await other.history.command(commandId)).status === 'completed');

    seen.length = 0;
    watcher.connect();
    await waitFor('the missed output', () => output.includes('missed-while-away'));
    await waitFor('the missed final status', () => seen.includes('command:status'));
    expect(watcher.connections).toEqual([false, true]);
    expect(watcher.resets()).toBe(0);
    expect(seen).not.toContain('agent:list');
  });

  it('resets when the server cannot resume (a replaced server with an empty store), then shows the fresh state', async () => {
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'phoenix');
    using client = trackedClient(server, await server.token('dashboard', 'tester'));
    client.connect();
    await waitFor('the agent', () => client.agents.find((a) => a.name === 'phoenix' && a.status === 'online'));
    const before = client.position;
    const port = await server.kill();
    await server.restartWithNewStore(port);
    await waitFor('a reset', () => client.resets() === 1, 40_000);
    expect(client.connections).toEqual([false, false]);
    expect(client.position?.epoch).not.toBe(before?.epoch);
    await waitFor('the agent back in the fresh list', () => client.agents.find((a) => a.name === 'phoenix' && a.status === 'online'), 40_000);
  }, 90_000);

  it('cannot resume with the token in the URL: every reconnect resets', async () => {
    await using server = await TestServer.start();
    using client = trackedClient(server, await server.token('dashboard', 'tester'), { auth: 'query' });
    client.connect();
    await waitFor('CONNECTED', () => client.state === 'CONNECTED');
    TrackedWebSocket.last?.terminate();
    await waitFor('a reset', () => client.resets() === 1);
    expect(client.connections).toEqual([false, false]);
  });

  it('fills the output a slow dashboard was not sent (output:gap) from the store', async () => {
    await using server = await TestServer.start({ dashboardSendBufferBytes: 16 * 1024 });
    await using _agent = await startTestAgent(server, 'flood');
    await using printer = await startPrinter({ perBurst: 2_000, pauseMs: 0 });
    using client = trackedClient(server, await server.token('dashboard', 'slow'));
    client.connect();
    const agent = await waitFor('the agent', () => client.agents.find((a) => a.name === 'flood' && a.status === 'online'));
    const received = new Map<number, string>();
    const gaps: OutputGap[] = [];
    let done = false;
    client.on('output', (chunk) => received.set(chunk.sequence, chunk.data));
    client.on('gap', (gap) => gaps.push(gap));
    client.on('status', (status) => (done ||= status.status === 'completed'));
    const socket = TrackedWebSocket.last as TrackedWebSocket;
    const commandId = await client.requestCommand({ agentId: agent.id, command: printer.command, priority: 'normal' });
    const stored = async () => (await client.history.outputChunks(commandId, { limit: 1, after: 1e9 })).lastSequence;
    const announced = () => gaps.reduce((sum, g) => sum + g.nextSequence - g.fromSequence, 0);
    // Stop reading until the server has had to drop some of this dashboard's output: the kernel's
    // socket buffers absorb the first megabytes (how many depends on the machine), so each round
    // holds back twice as much as the last.
    for (let round = 0, hold = 1_000; gaps.length === 0; round++, hold *= 2) {
      expect(round, 'the server never dropped output for a paused dashboard').toBeLessThan(5);
      const from = await stored();
      socket.pause();
      await waitFor(`${hold} more chunks stored`, async () => (await stored()) >= from + hold, 120_000);
      const upTo = await stored();
      socket.resume();
      await waitFor('the dashboard to catch up', () => received.size + announced() >= upTo, 60_000);
    }
    await printer.stop();
    await waitFor('the final status', () => done, 60_000);
    const fills = await Promise.all(gaps.map((gap) => client.fillGap(gap)));
    for (const fill of fills) {
      expect(fill.complete).toBe(true);
      for (const chunk of fill.chunks) {
        expect(received.has(chunk.sequence), `sequence ${chunk.sequence} was delivered and announced missing`).toBe(false);
        received.set(chunk.sequence, chunk.data);
      }
    }
    const sequences = [...received.keys()].sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    const text = sequences.map((s) => received.get(s)).join('');
    const lines = Number(/END (\d+)\n$/.exec(text)?.[1]);
    console.info(`slow dashboard: ${gaps.length} gaps, ${announced()} of ${sequences.length} chunks read back from the store`);
    expect(text === printerOutput(lines), 'the output, byte for byte').toBe(true);
  }, 240_000);

  it('reassembles a long stream byte for byte while its socket is killed 30 times at random points', async () => {
    const KILLS = 30;
    const seed = Number(process.env.ONSEMBL_CHAOS_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    await using server = await TestServer.start();
    await using _agent = await startTestAgent(server, 'streamer');
    await using printer = await startPrinter({ perBurst: 100, pauseMs: 5 });
    using client = trackedClient(server, await server.token('dashboard', 'chaos'));
    client.connect();
    const agent = await waitFor('the agent', () => client.agents.find((a) => a.name === 'streamer' && a.status === 'online'));

    const received = new Map<number, string>();
    const liveOrder: number[] = [];
    const duplicates: number[] = [];
    const gaps: OutputGap[] = [];
    const fills: Promise<void>[] = [];
    let commandId: string | undefined = undefined;
    let finalStatus: string | undefined;
    const early: OutputChunk[] = [];
    const take = (chunk: OutputChunk) => {
      if (received.has(chunk.sequence)) duplicates.push(chunk.sequence);
      received.set(chunk.sequence, chunk.data);
      liveOrder.push(chunk.sequence);
    };
    client.on('output', (chunk) => {
      if (commandId === undefined) early.push(chunk);
      else if (chunk.commandId === commandId) take(chunk);
    });
    client.on('gap', (gap) => {
      if (gap.commandId !== commandId) return;
      gaps.push(gap);
      // Chunks this (slow) dashboard was not sent are read back from the store.
      fills.push(client.fillGap(gap).then((missing) => {
        expect(missing.complete, `gap ${gap.fromSequence}–${gap.nextSequence - 1}`).toBe(true);
        for (const chunk of missing.chunks) {
          if (received.has(chunk.sequence)) duplicates.push(chunk.sequence);
          received.set(chunk.sequence, chunk.data);
        }
      }));
    });
    client.on('status', (status) => {
      if (status.commandId === commandId && ['completed', 'failed', 'cancelled', 'timeout'].includes(status.status)) finalStatus = status.status;
    });

    // Kill the socket after a random number of messages on each connection: in the middle of the
    // live stream, in the middle of a replay, right after the ack.
    let kills = 0;
    let countdown = 0;
    const arm = () => (countdown = 1 + Math.floor(random() * 25));
    client.on('connected', arm);
    client.on('message', () => {
      if (kills >= KILLS || commandId === undefined || --countdown > 0) return;
      countdown = Number.POSITIVE_INFINITY; // one kill per connection
      kills++;
      TrackedWebSocket.last?.terminate();
    });

    commandId = await client.requestCommand({ agentId: agent.id, command: printer.command, priority: 'normal' });
    for (const chunk of early.splice(0)) if (chunk.commandId === commandId) take(chunk);
    arm();
    await waitFor(`${KILLS} kills (seed ${seed})`, () => kills >= KILLS, 120_000);
    expect(finalStatus, 'the stream outlasts the kills').toBeUndefined();
    await printer.stop();
    await waitFor('the final status', () => finalStatus, 60_000);
    await Promise.all(fills);

    const sequences = [...received.keys()].sort((a, b) => a - b);
    const last = sequences.at(-1) ?? 0;
    const stored = await client.history.command(commandId);
    expect({ seed, kills, duplicates, finalStatus }).toEqual({ seed, kills: KILLS, duplicates: [], finalStatus: 'completed' });
    expect(stored.lastSequence).toBe(last);
    expect(sequences).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    // Live delivery was in order, and skipped only what output:gap announced.
    const announced = new Set(gaps.flatMap((g) => Array.from({ length: g.nextSequence - g.fromSequence }, (_, i) => g.fromSequence + i)));
    expect(liveOrder).toEqual(sequences.filter((s) => !announced.has(s)));
    expect(client.connections.length).toBe(KILLS + 1);
    expect(client.connections.slice(1).every(Boolean), 'every reconnect resumed').toBe(true);
    expect(client.resets()).toBe(0);

    const text = sequences.map((s) => received.get(s)).join('');
    const lines = Number(/END (\d+)\n$/.exec(text)?.[1]);
    console.info(`chaos seed ${seed}: ${kills} kills, ${last} chunks, ${lines} lines, ${Buffer.byteLength(text)} bytes, ${gaps.length} gaps filled from the store`);
    expect(lines).toBeGreaterThan(0);
    expect(Buffer.from(text).equals(Buffer.from(printerOutput(lines))), 'the output, byte for byte').toBe(true);
    expect(await client.history.output(commandId)).toBe(text);
  }, 240_000);
});
