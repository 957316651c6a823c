import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { DashboardOutbox } from './dashboard-outbox.js';

const KB = 1024;
const LIMIT = 100 * KB;
const CHUNK = 'x'.repeat(9 * KB);

interface Pair extends AsyncDisposable {
  outbox: DashboardOutbox;
  client: WebSocket;
  received: Array<{ type: string; sequence?: number; fromSequence?: number; nextSequence?: number }>;
  overflowed: () => boolean;
}

/** A real server socket with a DashboardOutbox, and a real client recording what arrives. */
async function outboxPair(): Promise<Pair> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: true });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, { perMessageDeflate: true });
  const received: Pair['received'] = [];
  client.on('message', (data) => {
    const { type, payload } = JSON.parse((data as Buffer).toString()) as { type: string; payload: Pair['received'][number] };
    received.push({ ...payload, type });
  });
  const [serverSide] = await accepted;
  await once(client, 'open');
  let overflow = false;
  const outbox = new DashboardOutbox(serverSide, {
    maxPendingOutputBytes: LIMIT,
    maxBurstOutputBytes: 10 * LIMIT,
    maxPendingBytes: 20 * LIMIT,
    socketHighWaterBytes: 64 * KB,
    onOverflow: () => { overflow = true; },
  });
  return {
    outbox, client, received, overflowed: () => overflow,
    async [Symbol.asyncDispose]() {
      client.terminate();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.close();
    },
  };
}

const outputText = (sequence: number) => JSON.stringify({ type: 'terminal:output', payload: { commandId: 'c', sequence, data: CHUNK } });

/** Live output, as the Broadcaster hands it to every dashboard. */
function pushOutput(outbox: DashboardOutbox, sequence: number): void {
  outbox.pushBroadcast(outputText(sequence), { commandId: 'c', agentId: 'a', sequence });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('DashboardOutbox', () => {
  it('delivers a burst larger than the 100 KB allowance to a dashboard that keeps up, without a gap', async () => {
    await using pair = await outboxPair();
    // 60 chunks (~550 KB) within one event-loop turn, as the server hands them on after a busy turn.
    for (let sequence = 1; sequence <= 60; sequence++) pushOutput(pair.outbox, sequence);
    await until(() => pair.received.length >= 60);
    expect(pair.received.map((m) => m.type)).not.toContain('output:gap');
    expect(pair.received.map((m) => m.sequence)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('keeps the order when a message ws is still deflating is followed by frames written directly', async () => {
    await using pair = await outboxPair();
    const large = (sequence: number) => JSON.stringify({ type: 'large', payload: { sequence, data: 'y'.repeat(64 * KB) } });
    // Rounds of one message over the compression threshold, then nine chunks, all in one turn.
    for (let round = 0; round < 10; round++) {
      const first = round * 10 + 1;
      pair.outbox.push(large(first));
      for (let sequence = first + 1; sequence < first + 10; sequence++) pushOutput(pair.outbox, sequence);
      await until(() => pair.received.length >= first + 9);
    }
    expect(pair.received.map((m) => m.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(pair.received.filter((m) => m.type === 'large')).toHaveLength(10);
  });

  it('keeps at most 100 KB for a dashboard that stopped reading, drops the oldest and says so', async () => {
    await using pair = await outboxPair();
    (pair.client as unknown as { _socket: Socket })._socket.pause();
    // One chunk per turn for 20 MB: the kernel's buffers fill, then the socket's, then the outbox's.
    const chunks = 2_000;
    for (let sequence = 1; sequence <= chunks; sequence++) {
      pushOutput(pair.outbox, sequence);
      await nextTurn();
      expect(pair.outbox.queuedBytes).toBeLessThanOrEqual(LIMIT + CHUNK.length + KB);
    }
    expect(pair.overflowed()).toBe(false);
    (pair.client as unknown as { _socket: Socket })._socket.resume();
    await until(() => pair.received.some((m) => m.type === 'terminal:output' && m.sequence === chunks));
    // Contiguous around the gaps: every sequence is either received or inside a gap marker.
    let expected = 1;
    for (const m of pair.received) {
      if (m.type === 'output:gap') {
        expect(m.fromSequence).toBe(expected);
        expected = m.nextSequence!;
      } else {
        expect(m.sequence).toBe(expected);
        expected++;
      }
    }
    expect(expected).toBe(chunks + 1);
    expect(pair.received.some((m) => m.type === 'output:gap')).toBe(true);
  });

  it('sends each dashboard its own stream when the broadcasts of a turn are shared, a private message is interleaved, or a dashboard starts late', async () => {
    await using a = await outboxPair();
    await using b = await outboxPair();
    await using late = await outboxPair();
    for (let sequence = 1; sequence <= 20; sequence++) {
      const text = outputText(sequence);
      const meta = { commandId: 'c', agentId: 'a', sequence };
      a.outbox.pushBroadcast(text, meta);
      b.outbox.pushBroadcast(text, meta);
      if (sequence > 10) late.outbox.pushBroadcast(text, meta);
      if (sequence === 5) b.outbox.push(JSON.stringify({ type: 'private', payload: {} }));
    }
    await until(() => a.received.length === 20 && b.received.length === 21 && late.received.length === 10);
    const seqs = (p: Pair) => p.received.map((m) => (m.type === 'private' ? 'private' : m.sequence));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(seqs(a)).toEqual(range(1, 20));
    expect(seqs(b)).toEqual([...range(1, 5), 'private', ...range(6, 20)]);
    expect(seqs(late)).toEqual(range(11, 20));
  });
});
