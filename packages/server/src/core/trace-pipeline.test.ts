import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerToAgentMessage } from '@onsembl/protocol';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { AgentLink } from './registry.js';
import { TracePipeline } from './trace-pipeline.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** One agent connection as the pipeline sees it: what it was sent. */
function link(): AgentLink & { acks: number[] } {
  const acks: number[] = [];
  return {
    connectionId: `conn-${Math.random()}`,
    acks,
    send: (m: ServerToAgentMessage) => void (m.type === 'trace:ack' && acks.push(m.payload.sequence)),
    replace: () => undefined,
    reconnect: () => undefined,
  };
}

/** A real SQLite store whose trace writes fail while `failing` is set, and a pipeline on it. */
async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'onsembl-trace-'));
  dirs.push(dir);
  const store = new SqliteStore(join(dir, 'store.db'));
  const state = { failing: false, failures: [] as string[][] };
  const append = store.appendTrace.bind(store);
  store.appendTrace = async (records) => {
    if (state.failing) throw new Error('disk full');
    return append(records);
  };
  const pipeline = new TracePipeline(store, logger, (ids) => state.failures.push(ids));
  pipeline.open('c1');
  /** Offers events as the scheduler does; returns the verdicts. */
  const offer = (on: AgentLink, sequences: number[]) =>
    sequences.map((sequence) => {
      const verdict = pipeline.accept('c1', sequence, false, on);
      if (verdict !== 'duplicate') {
        pipeline.enqueue({ commandId: 'c1', sequence, kind: 'message', event: `{"n":${sequence}}`, createdAt: sequence }, on);
      }
      return verdict;
    });
  const stored = async () => (await store.readTrace('c1', 0, 1000)).map((r) => r.sequence);
  return { store, state, pipeline, offer, stored };
}

describe('TracePipeline', () => {
  it('acknowledges only written events, and fills what a failed write lost from resends stored over several batches', async () => {
    const { state, pipeline, offer, stored, store } = await setUp();
    const first = link();
    expect(offer(first, [1, 2, 3])).toEqual(['new', 'new', 'new']);
    await pipeline.flush();
    expect(first.acks).toEqual([3]);

    state.failing = true;
    offer(first, [4, 5, 6]);
    await pipeline.flush();
    expect(state.failures).toEqual([['c1']]);
    state.failing = false;
    offer(first, [7]); // still arriving on the old connection, and stored
    await pipeline.flush();
    expect(first.acks).toEqual([3]); // nothing past the loss
    expect(pipeline.hasLost('c1')).toBe(true);

    const second = link();
    expect(offer(second, [4])).toEqual(['resent']);
    await pipeline.flush();
    expect(second.acks).toEqual([4]);
    expect(offer(second, [5, 6, 7, 8])).toEqual(['resent', 'resent', 'duplicate', 'new']);
    await pipeline.flush();
    expect(second.acks).toEqual([4, 8]);
    expect(pipeline.hasLost('c1')).toBe(false);
    expect(await stored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // A duplicate of what is stored is acknowledged at once.
    expect(offer(second, [2])).toEqual(['duplicate']);
    expect(second.acks).toEqual([4, 8, 8]);
    await store.close();
  });

  it('stops waiting for lost events the agent no longer holds (its first resend is above them)', async () => {
    const { state, pipeline, offer, stored, store } = await setUp();
    const first = link();
    offer(first, [1, 2]);
    await pipeline.flush();
    state.failing = true;
    offer(first, [3, 4, 5]);
    await pipeline.flush();
    state.failing = false;
    const second = link();
    // The agent dropped 3 and 4 past its unacknowledged limit: it resends from 5.
    expect(offer(second, [5, 6])).toEqual(['resent', 'new']);
    await pipeline.flush();
    expect(pipeline.hasLost('c1')).toBe(false);
    expect(second.acks).toEqual([6]);
    expect(await stored()).toEqual([1, 2, 5, 6]);
    await store.close();
  });

  it('takes up after a restart from what the store holds', async () => {
    const { pipeline, store } = await setUp();
    pipeline.open('c2', 10);
    const agent = link();
    expect(pipeline.accept('c2', 9, false, agent)).toBe('duplicate');
    expect(agent.acks).toEqual([10]);
    expect(pipeline.accept('c2', 11, true, agent)).toBe('new');
    expect(pipeline.isNewestUsage('c2', 11)).toBe(true);
    expect(pipeline.received('c2')).toBe(11);
    await store.close();
  });
});
