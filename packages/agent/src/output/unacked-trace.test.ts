import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '@onsembl/protocol';
import { UnackedTrace } from './unacked-trace.js';

const message = (text: string): TraceEvent => ({ kind: 'message', at: 1, text });

describe('UnackedTrace', () => {
  it('numbers events from 1, keeps them until acknowledged, and forgets acknowledged ones', () => {
    const trace = new UnackedTrace();
    expect([trace.append(message('a')), trace.append(message('b')), trace.append(message('c'))]).toEqual([1, 2, 3]);
    expect(trace.get(2)).toEqual(message('b'));
    trace.acknowledge(2);
    expect(trace.ackedThrough).toBe(2);
    expect(trace.unackedCount).toBe(1);
    expect(() => trace.get(2)).toThrow(RangeError);
    expect(trace.get(3)).toEqual(message('c'));
    trace.acknowledge(1); // stale
    trace.acknowledge(99); // beyond: capped at the last
    expect(trace.ackedThrough).toBe(3);
    expect(trace.unackedBytes).toBe(0);
  });

  it('is full past its event or byte bound, and not after acknowledgements catch up', () => {
    const byCount = new UnackedTrace(3, 1 << 20);
    for (let i = 0; i < 3; i++) byCount.append(message(String(i)));
    expect(byCount.full).toBe(true);
    byCount.acknowledge(1);
    expect(byCount.full).toBe(false);

    const byBytes = new UnackedTrace(1000, 100);
    byBytes.append(message('x'.repeat(200)));
    expect(byBytes.full).toBe(true);
    byBytes.acknowledge(1);
    expect(byBytes.full).toBe(false);
  });
});

describe('UnackedTrace over a long run', () => {
  it('keeps numbering and lookups right across many acknowledgements (its front is compacted now and then)', () => {
    const trace = new UnackedTrace();
    let acked = 0;
    for (let i = 1; i <= 20_000; i++) {
      trace.append(message(`m${i}`));
      if (i % 7 === 0) {
        acked = i - 3;
        trace.acknowledge(acked);
      }
    }
    expect(trace.ackedThrough).toBe(acked);
    expect(trace.unackedCount).toBe(20_000 - acked);
    for (let s = acked + 1; s <= 20_000; s++) expect(trace.get(s)).toEqual(message(`m${s}`));
    expect(trace.json(20_000)).toBe(JSON.stringify(message('m20000')));
    trace.acknowledge(20_000);
    expect(trace.unackedBytes).toBe(0);
  });
});
