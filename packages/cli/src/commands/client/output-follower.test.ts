import type { HistoryApi, OutputPage } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { OutputFollower } from './output-follower.js';

type Stored = Map<number, string>;

/** The store's side of the REST API, from a map of sequence → data; `gate` holds reads back until released. */
function storeOf(stored: Stored, gate?: Promise<void>): Pick<HistoryApi, 'outputChunks'> & { reads: number } {
  const api = {
    reads: 0,
    async outputChunks(commandId: string, options: { after?: number; limit?: number } = {}): Promise<OutputPage> {
      api.reads++;
      await gate;
      const after = options.after ?? 0;
      const sequences = [...stored.keys()].filter((s) => s > after).sort((a, b) => a - b).slice(0, options.limit ?? 1000);
      const chunks = sequences.map((sequence) => ({ commandId, sequence, stream: 'stdout' as const, data: stored.get(sequence) as string, createdAt: 0 }));
      return { commandId, status: 'running', chunks, lastSequence: Math.max(0, ...stored.keys()), complete: false };
    },
  };
  return api;
}

function sink() {
  const out = { text: '', notices: [] as string[] };
  return { out, sink: { write: (_: 'stdout' | 'stderr', data: string) => (out.text += data), notice: (m: string) => out.notices.push(m) } };
}

const chunk = (sequence: number) => ({ sequence, stream: 'stdout' as const, data: `<${sequence}>` });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `<${from + i}>`).join('');

describe('OutputFollower: exactly once, in order, from live events and the store', () => {
  it('writes contiguous live chunks at once and drops repeats (a replay after a resume)', () => {
    const { out, sink: s } = sink();
    const store = storeOf(new Map());
    const follower = new OutputFollower('c', store, s);
    for (const n of [1, 2, 2, 1, 3]) follower.live(chunk(n));
    expect(out.text).toBe(range(1, 3));
    expect(store.reads).toBe(0);
  });

  it('a jump in the live stream reads the hole from the store, then writes what was held, once', async () => {
    const stored: Stored = new Map(Array.from({ length: 10 }, (_, i) => [i + 1, `<${i + 1}>`]));
    let release!: () => void;
    const store = storeOf(stored, new Promise((r) => (release = r)));
    const { out, sink: s } = sink();
    const follower = new OutputFollower('c', store, s);
    follower.live(chunk(1));
    follower.live(chunk(5));
    follower.live(chunk(6));
    expect(out.text).toBe(range(1, 1));
    release();
    await follower.finish(10);
    follower.live(chunk(7));
    expect(out.text).toBe(range(1, 10));
    expect(out.notices).toEqual([]);
  });

  it('finish reads whatever is still missing, and says so when the store no longer has it (retention)', async () => {
    const stored: Stored = new Map([[1, '<1>'], [2, '<2>'], [5, '<5>']]);
    const { out, sink: s } = sink();
    const follower = new OutputFollower('c', storeOf(stored), s);
    await follower.finish(6);
    expect(out.text).toBe('<1><2><5>');
    expect(out.notices).toEqual(['output 3-4 of c is no longer stored (retention)', 'output 6-6 of c is no longer stored (retention)']);
  });

  it('pages through a long stored output', async () => {
    const stored: Stored = new Map(Array.from({ length: 2_500 }, (_, i) => [i + 1, `<${i + 1}>`]));
    const store = storeOf(stored);
    const { out, sink: s } = sink();
    await new OutputFollower('c', store, s).catchUp();
    expect(out.text).toBe(range(1, 2_500));
    expect(store.reads).toBe(3);
  });
});
