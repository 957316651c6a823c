import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { joinedRun, payloadOf, sharedMessage, type SharedMessage } from './shared-message.js';
import { scheduleFlush } from './turn.js';

const items = (texts: string[], broadcast = true) => texts.map((t) => ({ message: sharedMessage(t, broadcast) }));

describe('the run of a turn’s broadcasts', () => {
  it('joins the frames once and hands the same Buffer to every dashboard queued with the same stretch', () => {
    const texts = ['{"n":1}', '{"n":2}', '{"n":3}'];
    // The Broadcaster hands each text to every dashboard in a row, so both get the same messages.
    const first: Array<{ message: SharedMessage }> = [];
    const second: Array<{ message: SharedMessage }> = [];
    for (const text of texts) {
      first.push({ message: sharedMessage(text, true) });
      second.push({ message: sharedMessage(text, true) });
    }
    expect(second[2]?.message).toBe(first[2]?.message);
    const joined = joinedRun(first, 0);
    expect(joined).toBeDefined();
    expect(joinedRun(second, 0)).toBe(joined);
    expect(joined).toEqual(Buffer.concat(first.map((i) => i.message.bytes)));
    expect(first.map((i) => payloadOf(i.message).toString())).toEqual(texts);
    // A dashboard that started with the second broadcast gets a tail of the run.
    expect(joinedRun(first, 1)).toEqual(Buffer.concat(first.slice(1).map((i) => i.message.bytes)));
  });

  it('declines anything that is not exactly a stretch of the run: a private message, a missing broadcast, an older turn', async () => {
    const [one, two, three] = items(['{"n":11}', '{"n":12}', '{"n":13}']);
    const [mine] = items(['{"private":true}'], false);
    expect(joinedRun([one, mine, two], 0)).toBeUndefined();
    expect(joinedRun([one, three], 0)).toBeUndefined();
    expect(joinedRun([one, two, three], 0)).toBeDefined();
    scheduleFlush({ flush: () => undefined });
    await nextTurn();
    expect(joinedRun([one, two, three], 0)).toBeUndefined();
  });
});
