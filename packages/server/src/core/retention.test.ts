import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../adapters/sqlite-store.js';
import { PURGE_BATCH_ROWS, Retention } from './retention.js';

const logger = pino({ level: 'silent' });
const DAY = 86_400_000;
const options = { outputRetentionMs: DAY, auditRetentionMs: DAY, eventRetentionMs: DAY, purgeIntervalMs: DAY };

/** A store with `count` output chunks (10 KB, like a flood's), events and audit entries from two days ago. */
async function storeWithExpired(path: string, count: number) {
  const store = new SqliteStore(join(path, 'store.db'));
  const old = Date.now() - 2 * DAY;
  const data = 'x'.repeat(10_000);
  const rows = Array.from({ length: count }, (_, i) => i + 1);
  await store.appendOutput(rows.map((sequence) => ({ commandId: 'c1', sequence, stream: 'stdout' as const, data, createdAt: old })));
  await store.appendEvents(rows.map((offset) => ({ offset, createdAt: old, text: `{"n":${offset}}` })));
  await store.appendAudit(rows.map((i) => ({ at: old, actor: 'x', role: 'dashboard' as const, action: `a${i}` })));
  // Counts store calls, and whether anything else ran between them.
  const calls: Array<'purge' | 'other work'> = [];
  const purge = store.purge.bind(store);
  store.purge = async (cutoffs, limit) => {
    calls.push('purge');
    setImmediate(() => calls.push('other work'));
    return purge(cutoffs, limit);
  };
  return { store, calls };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempPath(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'onsembl-retention-'));
  dirs.push(path);
  return path;
}

describe('Retention', () => {
  it('purges in batches and lets other work run between them', async () => {
    const count = 2 * PURGE_BATCH_ROWS + 10;
    const { store, calls } = await storeWithExpired(await tempPath(), count);
    const retention = new Retention(store, options, logger);
    await retention.purge();
    // Three batches (256, 256, 10), with the event loop's other work after each of the first two.
    expect(calls.slice(0, 5)).toEqual(['purge', 'other work', 'purge', 'other work', 'purge']);
    expect(await store.readOutput('c1', 0)).toEqual([]);
    expect((await store.listAudit({ limit: 1000 })).length).toBe(0);
    expect(await store.eventBounds()).toEqual({ first: count, last: count }); // the newest event stays
    await retention.stop();
    await store.close();
  });

  it('stops a purge in progress after its current batch', async () => {
    const { store, calls } = await storeWithExpired(await tempPath(), 4 * PURGE_BATCH_ROWS);
    const retention = new Retention(store, options, logger);
    const purging = retention.purge();
    await new Promise((resolve) => setImmediate(resolve)); // the first batch has run
    await retention.stop();
    await purging;
    expect(calls.filter((c) => c === 'purge').length).toBeLessThan(4);
    expect((await store.readOutput('c1', 0)).length).toBeGreaterThan(0);
    await store.close();
  });
});
