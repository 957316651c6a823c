import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '@onsembl/store-postgres';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';

// What only the PostgreSQL store does (the shared contract is store-contract.test.ts).
const withPostgres = await postgresAvailable();
let database: TestDatabase;
beforeAll(async () => {
  if (withPostgres) database = await createTestDatabase();
}, 30_000);
afterAll(async () => {
  if (withPostgres) await database[Symbol.asyncDispose]();
});

let schemas = 0;
const nextSchema = () => `own_${process.pid}_${++schemas}`;

describe.skipIf(!withPostgres)('PostgresStore', () => {
  it('migrates once when three nodes start at the same moment, and all share one epoch', async () => {
    const schema = nextSchema();
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url: database.url, schema, maxConnections: 2 })));
    expect(new Set(stores.map((s) => s.epoch)).size).toBe(1);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    await client.end();
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('keeps its epoch when a node dies without closing it: offsets are only handed out at commit', async () => {
    const schema = nextSchema();
    const crashed = await PostgresStore.open({ url: database.url, schema });
    await crashed.insertEvents([{ createdAt: 1, text: 'before the crash' }]);
    const next = await PostgresStore.open({ url: database.url, schema }); // the first is never closed
    expect(next.epoch).toBe(crashed.epoch);
    expect(await next.insertEvents([{ createdAt: 2, text: 'after' }])).toBe(2);
    await next.close();
    await crashed.close();
  });

  it('numbers events in commit order across nodes: a reader never sees an offset before every earlier one', async () => {
    const schema = nextSchema();
    // Each transaction waits a random while after numbering its batch and before committing, so
    // batches would commit out of order if numbering did not wait for the commit before.
    const delay = () => sleep(Math.floor(Math.random() * 8));
    const writers = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url: database.url, schema, maxConnections: 3, beforeEventCommit: delay })));
    const reader = await PostgresStore.open({ url: database.url, schema, maxConnections: 1 });
    let writing = true;
    const seen: number[] = [];
    const reading = (async () => {
      while (writing || seen.length < 3 * 30 * 3) {
        const events = await reader.readEvents(seen.at(-1) ?? 0, 1000);
        // Each read continues exactly where the last stopped: a later offset is never visible first.
        events.forEach((e, i) => expect(e.offset).toBe((seen.at(-1) ?? 0) + 1 + i));
        seen.push(...events.map((e) => e.offset));
        if (!writing && events.length === 0) break;
      }
    })();
    const firsts = await Promise.all(writers.map(async (store, w) => {
      const out: number[] = [];
      for (let b = 0; b < 30; b++) {
        const events = [1, 2, 3].map((i) => ({ createdAt: Date.now(), text: `w${w} b${b} e${i}` }));
        const parallel = [store.insertEvents(events.slice(0, 1)), store.insertEvents(events.slice(1))];
        out.push(...(await Promise.all(parallel)));
      }
      return out;
    }));
    writing = false;
    await reading;
    expect(seen).toEqual(Array.from({ length: 270 }, (_, i) => i + 1));
    expect(firsts.flat().length).toBe(180);
    expect(await reader.eventBounds()).toEqual({ first: 1, last: 270 });
    await Promise.all([...writers, reader].map((s) => s.close()));
  });

  it('a connection killed mid-batch fails that call, leaves no hole, and the next call works', async () => {
    const schema = nextSchema();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    let kill = false;
    const store = await PostgresStore.open({
      url: database.url, schema, maxConnections: 2,
      beforeEventCommit: async () => {
        if (!kill) return;
        kill = false;
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'onsembl' AND pid <> pg_backend_pid()`);
      },
    });
    expect(await store.insertEvents([{ createdAt: 1, text: 'one' }])).toBe(1);
    kill = true;
    await expect(store.insertEvents([{ createdAt: 2, text: 'lost with its connection' }])).rejects.toThrow();
    // The killed transaction gave its offset back: the next batch takes it, nothing is skipped.
    expect(await store.insertEvents([{ createdAt: 3, text: 'two' }])).toBe(2);
    expect((await store.readEvents(0, 10)).map((e) => e.text)).toEqual(['one', 'two']);
    await store.close();
    await admin.end();
  });

  it('a bad URL or an unreachable server fails open() with a clear error', async () => {
    await expect(PostgresStore.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 2_000 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(PostgresStore.open({ url: database.url, schema: 'Bad-Name' })).rejects.toThrow(/schema must match/);
  });
});
