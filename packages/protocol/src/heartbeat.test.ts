import { describe, expect, it } from 'vitest';
import { HeartbeatMonitor, type Clock } from './heartbeat.js';

/** A clock whose time moves only when the test says. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { clock, advance, pending: () => timers.size };
}

function monitor() {
  const { clock, advance, pending } = manualClock();
  const beats: number[] = [];
  const deaths: number[] = [];
  const heartbeat = new HeartbeatMonitor(clock, { beat: (s) => beats.push(s), dead: (ms) => deaths.push(ms) });
  return { heartbeat, beats, deaths, advance, pending };
}

describe('HeartbeatMonitor', () => {
  it('beats every interval with a rising sequence', () => {
    const { heartbeat, beats, advance } = monitor();
    heartbeat.start(30_000, 60_000);
    advance(29_999);
    expect(beats).toEqual([]);
    advance(1);
    heartbeat.received();
    advance(30_000);
    heartbeat.received();
    advance(30_000);
    expect(beats).toEqual([1, 2, 3]);
  });

  it('declares the connection dead after the timeout of silence, once, and stops', () => {
    const { heartbeat, beats, deaths, advance, pending } = monitor();
    heartbeat.start(30_000, 60_000);
    advance(59_999);
    expect(deaths).toEqual([]);
    advance(1);
    expect(deaths).toEqual([60_000]);
    expect(pending()).toBe(0);
    advance(120_000);
    expect(beats).toEqual([1]); // at 30 s; nothing after it stopped
    expect(deaths).toHaveLength(1);
  });

  it('counts any message as a sign of life, measuring silence from the last one', () => {
    const { heartbeat, deaths, advance } = monitor();
    heartbeat.start(30_000, 60_000);
    advance(50_000);
    heartbeat.received();
    advance(59_000);
    expect(deaths).toEqual([]);
    advance(1_000);
    expect(deaths).toEqual([60_000]);
  });

  it('watch() only watches: no beats before start()', () => {
    const { heartbeat, beats, deaths, advance } = monitor();
    heartbeat.watch(1_000);
    advance(999);
    expect(deaths).toEqual([]);
    advance(1);
    expect(deaths).toEqual([1_000]);
    expect(beats).toEqual([]);
  });

  it('does not re-arm when the beat hook stops it', () => {
    const { clock, advance, pending } = manualClock();
    const beats: number[] = [];
    const heartbeat: HeartbeatMonitor = new HeartbeatMonitor(clock, {
      beat: (s) => {
        beats.push(s);
        heartbeat.stop();
      },
      dead: () => undefined,
    });
    heartbeat.start(1_000, 60_000);
    advance(5_000);
    expect(beats).toEqual([1]);
    expect(pending()).toBe(0);
  });
});
