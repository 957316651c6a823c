import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../adapters/memory-bus.js';
import type { Store } from '../ports/store.js';
import { Health } from './health.js';
import { DependencyError, watchBus, watchStore } from './watch-ports.js';

const silent = pino({ level: 'silent' });

describe('Health and the watched ports', () => {
  afterEach(() => vi.useRealTimers());

  it('a failed store call is a DependencyError and marks the store down until that call succeeds', async () => {
    const health = new Health(silent);
    let fail = true;
    const store = watchStore({
      epoch: 'e',
      eventBounds: async () => {
        if (fail) throw new Error('connection refused');
        return { first: 0, last: 0 };
      },
      listAgents: async () => [],
    } as unknown as Store, health);
    const err = await store.eventBounds().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyError);
    expect((err as DependencyError).cause).toMatchObject({ message: 'connection refused' });
    expect(health.report()).toMatchObject({ store: { failing: ['eventBounds'], error: 'connection refused' } });
    await store.listAgents(); // another call working does not say the failing one works
    expect(health.isDown('store')).toBe(true);
    fail = false;
    await store.eventBounds();
    expect(health.ok).toBe(true);
    expect(store.epoch).toBe('e');
  });

  it('a failed call not made again is cleared once it is stale and the probe answers', async () => {
    vi.useFakeTimers();
    const health = new Health(silent);
    let probeWorks = false;
    health.setProbe('store', async () => {
      if (!probeWorks) throw new Error('still down');
    });
    health.failed('store', 'getCommand', new Error('timeout'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(health.isDown('store')).toBe(true);
    probeWorks = true;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(health.ok).toBe(true);
    health.stop();
  });

  it('a bus subscriber that throws or rejects is reported, and the others still get every message', async () => {
    const errors: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });
    const bus = watchBus(new MemoryBus(), new Health(silent), logger);
    const got: string[] = [];
    // An async handler on purpose: the port allows one (its promise is not awaited) and its rejection must be reported.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    await bus.subscribe('t', async () => {
      await Promise.resolve();
      throw new Error('async handler bug');
    });
    await bus.subscribe('t', () => {
      throw new Error('sync handler bug');
    });
    await bus.subscribe('t', (m) => void got.push(m));
    await bus.publish('t', 'one');
    await bus.publish('t', 'two');
    await vi.waitFor(() => expect(errors).toHaveLength(4));
    expect(got).toEqual(['one', 'two']);
    expect(errors.map((e) => (e as { msg: string }).msg)).toEqual(Array(4).fill('bus subscriber failed'));
  });
});
