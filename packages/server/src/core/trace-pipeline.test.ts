import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerToAgentMessage } from '@onsembl/protocol';
import { SqliteStore } from '../adapters/sqlite-store.js';
import type { AgentLink } from './registry.js';
import { TracePipeline } from './trace-pipeline.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** One agent connection as the pipeline sees it: the trace:acks it was sent. */
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

/** A real SQLite store whose trace writes fail while `failing` is set (counting attempts), and a pipeline on it. */
async function setUp() {
  const dir = await mkdtemp(join(tmpdir(), 'onsembl-trace-'));
  dirs.push(dir);
  const store = new SqliteStore(join(dir, 'store.db'));
  const state = { failing: false, failed: 0 };
  const append = store.appendTrace.bind(store);
  store.appendTrace = async (records) => {
    if (state.failing) {
      state.failed++;
      throw new Error('disk full');
    }
    return append(records);
  };
  const pipeline = new TracePipeline(store);
  pipeline.open('c1');
  /** Offers events as the scheduler does; returns the verdicts. */
  const offer = (on: AgentLink, sequences: number[]) =>
    sequences.map((sequence) => {
      const verdict = pipeline.accept('c1', sequence, on);
      if (verdict === 'new') pipeline.enqueue({ commandId: 'c1', sequence, kind: 'message', event: `{"n":${sequence}}`, createdAt: sequence }, on);
      return verdict;
    });
  const stored = async () => (await store.readTrace('c1', 0, 1000)).map((r) => r.sequence);
  return { store, state, pipeline, offer, stored };
}

describe('TracePipeline', () => {
  it('acknowledges after the write, a duplicate at once only when it is stored', async () => {
    const { pipeline, offer, stored, store } = await setUp();
    const agent = link();
    expect(offer(agent, [1, 2, 3])).toEqual(['new', 'new', 'new']);
    expect(offer(agent, [2])).toEqual(['duplicate']); // waiting for its write: that write acknowledges it
    expect(agent.acks).toEqual([]);
    await pipeline.flush();
    expect(agent.acks).toEqual([3]);
    expect(offer(agent, [1])).toEqual(['duplicate']);
    expect(agent.acks).toEqual([3, 3]);
    expect(await stored()).toEqual([1, 2, 3]);
    await store.close();
  });

  it('retries a failed write until the store takes it, acknowledging nothing after it before', async () => {
    const { state, pipeline, offer, stored, store } = await setUp();
    const agent = link();
    offer(agent, [1, 2]);
    await pipeline.flush();
    state.failing = true;
    offer(agent, [3, 4]);
    const flushed = pipeline.flush();
    while (state.failed < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    offer(agent, [5]); // after the failed batch: written after it
    expect(agent.acks).toEqual([2]);
    expect(await stored()).toEqual([1, 2]);
    state.failing = false;
    await flushed;
    await pipeline.flush();
    expect(agent.acks).toEqual([2, 4, 5]);
    expect(await stored()).toEqual([1, 2, 3, 4, 5]);
    await store.close();
  });

  it('takes up after a restart from what the store holds, and gives up at shutdown with the store down', async () => {
    const { state, pipeline, store } = await setUp();
    pipeline.open('c2', 10);
    const agent = link();
    expect(pipeline.accept('c2', 9, agent)).toBe('duplicate');
    expect(agent.acks).toEqual([10]);
    expect(pipeline.accept('c2', 11, agent)).toBe('new');
    expect(pipeline.received('c2')).toBe(11);
    state.failing = true;
    pipeline.enqueue({ commandId: 'c2', sequence: 11, kind: 'message', event: '{}', createdAt: 1 }, agent);
    void pipeline.flush();
    expect(await pipeline.abandon()).toBe(1);
    expect(agent.acks).toEqual([10]);
    await store.close();
  });
});
