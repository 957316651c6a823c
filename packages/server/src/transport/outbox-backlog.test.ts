import { Limits } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { OutboxBacklog, type OutputGap } from './outbox-backlog.js';
import { payloadOf, sharedMessage } from './shared-message.js';

const BUFFER = Limits.dashboardSendBufferBytes;
/** The limits a dashboard session gives its outbox (sessions/dashboard-session.ts), with the protocol's defaults. */
const LIMITS = {
  maxPendingOutputBytes: BUFFER,
  maxBurstOutputBytes: BUFFER * Limits.dashboardBurstBuffers,
  maxPendingBytes: BUFFER * Limits.dashboardCloseBuffers,
};
/** About 9 KB of data: a chunk as agents cut them, under the compression threshold. */
const DATA = 'x'.repeat(9 * 1024);

type Sent = { type: 'terminal:output'; commandId: string; sequence: number } | { type: 'command:status'; commandId: string } | ({ type: 'output:gap' } & OutputGap);

const outputText = (commandId: string, sequence: number, data = DATA) =>
  JSON.stringify({ type: 'terminal:output', payload: { commandId, agentId: `agent-${commandId}`, sequence, data } });

function addOutput(backlog: OutboxBacklog, commandId: string, sequence: number, backedUp: boolean, data = DATA): number {
  return backlog.add(sharedMessage(outputText(commandId, sequence, data), true), { commandId, agentId: `agent-${commandId}`, sequence }, backedUp);
}

/** Bytes of one chunk as queued (sequences of the same number of digits are the same size). */
const chunkBytes = (sequence: number) => sharedMessage(outputText('c', sequence)).bytes.length;
/** Chunks of two-digit sequences a send buffer holds. */
const PER_BUFFER = Math.floor(BUFFER / chunkBytes(10));

function addStatus(backlog: OutboxBacklog, commandId: string, backedUp: boolean, size = 0): void {
  backlog.add(sharedMessage(JSON.stringify({ type: 'command:status', payload: { commandId, status: 'completed', pad: 'p'.repeat(size) } })), undefined, backedUp);
}

/** Everything the backlog hands out, in order, as the dashboard would read it. */
function drain(backlog: OutboxBacklog): Sent[] {
  const sent: Sent[] = [];
  backlog.drain(
    (m) => {
      const { type, payload } = JSON.parse(payloadOf(m).toString()) as { type: string; payload: { commandId: string; sequence: number } };
      sent.push(type === 'terminal:output' ? { type, commandId: payload.commandId, sequence: payload.sequence } : { type: 'command:status', commandId: payload.commandId });
    },
    (gap) => sent.push({ type: 'output:gap', ...gap }),
  );
  return sent;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sequencesOf = (sent: Sent[]) => sent.flatMap((s) => (s.type === 'terminal:output' ? [s.sequence] : []));

describe('OutboxBacklog', () => {
  it('keeps a whole burst for a dashboard that keeps up, up to the burst allowance, then drops its oldest output', () => {
    const backlog = new OutboxBacklog(LIMITS);
    // Three-digit sequences, so every chunk is the same size: as many as the burst allowance holds.
    const fit = Math.floor(LIMITS.maxBurstOutputBytes / chunkBytes(100));
    let dropped = 0;
    for (let sequence = 100; sequence < 100 + fit; sequence++) dropped += addOutput(backlog, 'c', sequence, false);
    expect(dropped).toBe(0);
    for (let sequence = 100 + fit; sequence < 100 + fit + 5; sequence++) dropped += addOutput(backlog, 'c', sequence, false);
    expect(dropped).toBe(5);
    expect(backlog.pendingOutputBytes).toBeLessThanOrEqual(LIMITS.maxBurstOutputBytes);
    const sent = drain(backlog);
    expect(sent[0]).toEqual({ type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 100, nextSequence: 105 });
    expect(sequencesOf(sent)).toEqual(range(105, 100 + fit + 4));
    expect(backlog.pendingBytes).toBe(0);
  });

  it('keeps only the newest send buffer of output once the socket is backed up, and says exactly what was dropped', () => {
    const backlog = new OutboxBacklog(LIMITS);
    let dropped = 0;
    for (let sequence = 10; sequence <= 60; sequence++) {
      dropped += addOutput(backlog, 'c', sequence, true);
      expect(backlog.pendingOutputBytes).toBeLessThanOrEqual(BUFFER);
    }
    expect(dropped).toBe(51 - PER_BUFFER);
    const sent = drain(backlog);
    expect(sequencesOf(sent)).toEqual(range(61 - PER_BUFFER, 60));
    expect(sent.filter((s) => s.type === 'output:gap')).toEqual([
      { type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 10, nextSequence: 61 - PER_BUFFER },
    ]);
    expect(sent[0]?.type).toBe('output:gap');
  });

  it('cuts a burst to the send buffer when the socket is found backed up', () => {
    const backlog = new OutboxBacklog(LIMITS);
    for (let sequence = 10; sequence < 50; sequence++) addOutput(backlog, 'c', sequence, false);
    expect(backlog.pendingOutputBytes).toBeGreaterThan(BUFFER);
    expect(backlog.trimToSendBuffer()).toBe(40 - PER_BUFFER);
    expect(backlog.pendingOutputBytes).toBeLessThanOrEqual(BUFFER);
    const sent = drain(backlog);
    expect(sent[0]).toEqual({ type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 10, nextSequence: 50 - PER_BUFFER });
    expect(sequencesOf(sent)).toEqual(range(50 - PER_BUFFER, 49));
  });

  it('never drops control messages, and sends the gap news before a status so a final state never overtakes it', () => {
    const backlog = new OutboxBacklog(LIMITS);
    for (let sequence = 10; sequence < 30; sequence++) addOutput(backlog, 'a', sequence, true);
    addStatus(backlog, 'a', true);
    for (let sequence = 10; sequence < 30; sequence++) addOutput(backlog, 'b', sequence, true);
    const sent = drain(backlog);
    // Every chunk of a and the oldest of b were dropped; the status survived, after every marker
    // pending when its turn came (b's says what was dropped up to then).
    const firstKept = 30 - PER_BUFFER;
    expect(sent).toEqual([
      { type: 'output:gap', commandId: 'a', agentId: 'agent-a', fromSequence: 10, nextSequence: 30 },
      { type: 'output:gap', commandId: 'b', agentId: 'agent-b', fromSequence: 10, nextSequence: firstKept },
      { type: 'command:status', commandId: 'a' },
      ...range(firstKept, 29).map((sequence) => ({ type: 'terminal:output', commandId: 'b', sequence })),
    ]);
  });

  it('reports one gap per command, each before the first chunk of its own command that survived', () => {
    const backlog = new OutboxBacklog(LIMITS);
    // Two commands interleaved: a1 b1 a2 b2 ...
    for (let sequence = 10; sequence < 30; sequence++) {
      addOutput(backlog, 'a', sequence, true);
      addOutput(backlog, 'b', sequence, true);
    }
    const sent = drain(backlog);
    const gaps = sent.filter((s) => s.type === 'output:gap');
    // The newest PER_BUFFER chunks survive, b's and a's alternately from the end: b29 a29 b28 ...
    const keptB = Math.ceil(PER_BUFFER / 2);
    const keptA = Math.floor(PER_BUFFER / 2);
    expect(gaps).toHaveLength(2);
    expect(gaps).toContainEqual({ type: 'output:gap', commandId: 'a', agentId: 'agent-a', fromSequence: 10, nextSequence: 30 - keptA });
    expect(gaps).toContainEqual({ type: 'output:gap', commandId: 'b', agentId: 'agent-b', fromSequence: 10, nextSequence: 30 - keptB });
    // Each command's stream is contiguous around its marker, the marker before its first chunk.
    for (const commandId of ['a', 'b']) {
      let expected = 10;
      for (const s of sent.filter((m) => m.commandId === commandId)) {
        if (s.type === 'output:gap') expected = s.nextSequence;
        else if (s.type === 'terminal:output') expect(s.sequence).toBe(expected++);
      }
      expect(expected).toBe(30);
      expect(sent.find((m) => m.commandId === commandId)?.type).toBe('output:gap');
    }
  });

  it('joins drops of several runs into one gap while nothing was sent, and starts a new one after a drain', () => {
    const backlog = new OutboxBacklog(LIMITS);
    for (let sequence = 10; sequence < 30; sequence++) addOutput(backlog, 'c', sequence, true);
    expect(backlog.trimToSendBuffer()).toBe(0);
    for (let sequence = 30; sequence < 50; sequence++) addOutput(backlog, 'c', sequence, true);
    const first = drain(backlog);
    expect(first.filter((s) => s.type === 'output:gap')).toEqual([
      { type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 10, nextSequence: 50 - PER_BUFFER },
    ]);
    for (let sequence = 50; sequence < 70; sequence++) addOutput(backlog, 'c', sequence, true);
    const second = drain(backlog);
    expect(second[0]).toEqual({ type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 50, nextSequence: 70 - PER_BUFFER });
    expect(sequencesOf(second)).toEqual(range(70 - PER_BUFFER, 69));
  });

  it('overflows once control messages alone pass the close limit; dropped output never counts towards it', () => {
    const backlog = new OutboxBacklog(LIMITS);
    for (let sequence = 1; sequence <= 5_000; sequence++) addOutput(backlog, 'c', sequence, true);
    expect(backlog.overflowing).toBe(false);
    const status = 64 * 1024;
    const fit = Math.floor((LIMITS.maxPendingBytes - backlog.pendingBytes) / (status + 100));
    for (let i = 0; i < fit; i++) addStatus(backlog, 'c', true, status);
    expect(backlog.overflowing).toBe(false);
    addStatus(backlog, 'c', true, status);
    addStatus(backlog, 'c', true, status);
    expect(backlog.overflowing).toBe(true);
  });

  it('compacts the holes of a long flood to a stalled dashboard: memory stays bounded and nothing live is lost', () => {
    const backlog = new OutboxBacklog(LIMITS);
    const small = 'y'.repeat(100);
    // The live messages (what a send buffer holds of these small chunks, and the statuses), plus
    // the holes tolerated before compacting, or twice the live ones.
    const live = Math.ceil(BUFFER / sharedMessage(outputText('c', 10_000, small)).bytes.length) + 10;
    const MAX_SLOTS = Math.max(live + 1024 + 1, 2 * live);
    let dropped = 0;
    let statuses = 0;
    for (let sequence = 1; sequence <= 100_000; sequence++) {
      dropped += addOutput(backlog, 'c', sequence, true, small);
      if (sequence % 10_000 === 0) {
        addStatus(backlog, `s${statuses}`, true);
        statuses++;
      }
      // Without compaction the queue would keep a slot for every chunk ever dropped.
      expect(backlog.slots).toBeLessThanOrEqual(MAX_SLOTS);
    }
    const sent = drain(backlog);
    // Every status survived, in order; each one follows the gap marker of the output dropped before it.
    expect(sent.filter((s) => s.type === 'command:status').map((s) => s.commandId)).toEqual(range(0, 9).map((i) => `s${i}`));
    let expected = 1;
    let lost = 0;
    for (const s of sent) {
      if (s.type === 'output:gap') {
        expect(s.fromSequence).toBe(expected);
        lost += s.nextSequence - s.fromSequence;
        expected = s.nextSequence;
      } else if (s.type === 'terminal:output') {
        expect(s.sequence).toBe(expected++);
      }
    }
    expect(expected).toBe(100_001);
    expect(lost).toBe(dropped);
  });

  it('hands a turn of broadcasts as one joined buffer only when nothing was dropped', () => {
    const clean = new OutboxBacklog(LIMITS);
    for (let sequence = 1; sequence <= 3; sequence++) addOutput(clean, 'c', sequence, false);
    const joined = clean.takeJoinedRun();
    expect(joined?.toString()).toContain('"sequence":1');
    expect(joined?.toString()).toContain('"sequence":3');
    expect(clean.pendingBytes).toBe(0);
    expect(drain(clean)).toEqual([]);

    // Enough small chunks that the holes are compacted away: what is left is still a stretch of the
    // turn's run, but its gap must be reported, so it is written one by one.
    const dropping = new OutboxBacklog(LIMITS);
    const small = 'z'.repeat(100);
    let last = 0;
    // Up to the push that compacted: no holes are left, only the gap to report.
    for (let slots = 0; dropping.slots >= slots; ) {
      slots = dropping.slots;
      addOutput(dropping, 'c', ++last, true, small);
    }
    expect(last).toBeGreaterThan(1024);
    expect(dropping.takeJoinedRun()).toBeUndefined();
    const sent = drain(dropping);
    const first = sequencesOf(sent)[0] as number;
    expect(sent[0]).toEqual({ type: 'output:gap', commandId: 'c', agentId: 'agent-c', fromSequence: 1, nextSequence: first });
    expect(sequencesOf(sent)).toEqual(range(first, last));
  });
});
