import type { HistoryChunk } from '@onsembl/client';
import { describe, expect, it } from 'vitest';
import { TerminalFeed, type Fetched, type MissingRange } from './terminal-feed.js';

const chunk = (sequence: number, commandId = 'cmd-1'): HistoryChunk & { commandId: string; agentId: string } => ({
  commandId, agentId: 'a', sequence, stream: 'stdout', data: `<${sequence}>`, createdAt: 0,
});

/** A feed writing into a string, with a store whose answers the test releases. */
function feedWithStore(stored: (range: MissingRange) => Fetched | Error) {
  let out = '';
  const asked: MissingRange[] = [];
  const release: (() => void)[] = [];
  const unfilled: string[] = [];
  const feed = new TerminalFeed(
    {
      write: (data) => (out += data),
      line: (data) => (out += `[${data}]`),
      note: (text) => (out += `{${text.split(' ').slice(0, 3).join(' ')}}`),
      unfilled: (range) => unfilled.push(`${range.from}-${range.to}`),
    },
    (range) => {
      asked.push(range);
      return new Promise((resolve, reject) => release.push(() => {
        const answer = stored(range);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      }));
    },
  );
  return { feed, asked, unfilled, out: () => out, release: async () => {
    release.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
  } };
}

const range = (from: number, to: number, complete = true): Fetched => ({
  chunks: Array.from({ length: to - from }, (_, i) => chunk(from + i)).filter((c) => complete || c.sequence !== from),
  complete,
});

describe('terminal feed', () => {
  it('writes live output at once, in order, and drops repeats', () => {
    const { feed, out, asked } = feedWithStore(() => range(0, 0));
    feed.line('$ cmd');
    feed.chunk(chunk(1));
    feed.chunk(chunk(2));
    feed.chunk(chunk(2));
    expect(out()).toBe('[$ cmd]<1><2>');
    expect(asked).toEqual([]);
  });

  it('fills an output:gap from the store in place, holding back what follows until it is there', async () => {
    const { feed, out, asked, release } = feedWithStore((r) => range(r.from, r.to ?? r.from));
    feed.chunk(chunk(1));
    feed.gap({ commandId: 'cmd-1', agentId: 'a', from: 2, to: 5 });
    feed.chunk(chunk(5));
    feed.line('── completed');
    expect(out()).toBe('<1>');
    expect(asked).toEqual([{ commandId: 'cmd-1', agentId: 'a', from: 2, to: 5 }]);
    await release();
    expect(out()).toBe('<1>{… 3 output}<2><3><4>{… end of}<5>[── completed]');
  });

  it('fills a jump in the sequences nobody announced, and catches up on a command first seen midway', async () => {
    const { feed, out, asked, release } = feedWithStore((r) => (r.to === undefined ? range(1, 4) : range(r.from, r.to)));
    feed.catchUp('cmd-1', 'a');
    feed.chunk(chunk(3)); // arrived live while the catch-up was loading: already in it
    feed.chunk(chunk(4));
    feed.chunk(chunk(7));
    await release();
    expect(asked[1]).toEqual({ commandId: 'cmd-1', agentId: 'a', from: 5, to: 7 });
    await release();
    expect(out()).toBe('{… output of}<1><2><3>{… live output}<4>{… 2 output}<5><6>{… end of}<7>');
  });

  it('says what retention purged, and offers a failed fill for "Load missing output" without blocking', async () => {
    let fail = false;
    const { feed, out, unfilled, release } = feedWithStore((r) => (fail ? new Error('offline') : range(r.from, r.to ?? r.from, false)));
    feed.gap({ commandId: 'cmd-1', agentId: 'a', from: 1, to: 3 });
    await release();
    expect(out()).toBe('{… 2 output}<2>{… 1 of}');
    fail = true;
    feed.gap({ commandId: 'cmd-1', agentId: 'a', from: 3, to: 6 });
    feed.chunk(chunk(6));
    await release();
    expect(out()).toBe('{… 2 output}<2>{… 1 of}{… 3 output}<6>');
    expect(unfilled).toEqual(['3-6']);
  });

  it('forgets a command once nothing queued or on its way still needs it', async () => {
    const { feed, out, release } = feedWithStore((r) => range(r.from, r.to ?? r.from));
    feed.chunk(chunk(1));
    feed.chunk(chunk(1, 'cmd-2'));
    feed.forget('cmd-2');
    expect(feed.remembered).toBe(1);
    feed.gap({ commandId: 'cmd-1', agentId: 'a', from: 2, to: 4 });
    feed.chunk(chunk(4));
    feed.chunk(chunk(4)); // a repeat, behind the fill: still known to be written
    feed.forget('cmd-1');
    expect(feed.remembered).toBe(1);
    await release();
    expect(out()).toBe('<1><1>{… 2 output}<2><3>{… end of}<4>');
    expect(feed.remembered).toBe(0);
  });
});
