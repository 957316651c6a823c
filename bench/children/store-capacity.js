// @ts-check
// What the store itself can take: SqliteStore.appendOutput (the server's own adapter, same file
// settings) fed the same chunks, in batches of `batch` per call (one transaction each).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '@onsembl/server';
import { serve } from '../lib/rpc.js';

const methods = {
  /**
   * Chunks per second for `chunks` chunks of `data` (round-robin), `batch` per appendOutput call.
   * @param {{ data: string[], chunks: number, batch: number }} params
   */
  measure: async ({ data, chunks, batch }) => {
    const dir = mkdtempSync(join(tmpdir(), 'onsembl-bench-store-'));
    const store = new SqliteStore(join(dir, 'onsembl.db'));
    try {
      let sequence = 0;
      const t0 = performance.now();
      while (sequence < chunks) {
        /** @type {import('@onsembl/server').StoredOutputChunk[]} */
        const rows = [];
        for (let i = 0; i < batch && sequence < chunks; i++) {
          sequence++;
          rows.push({ commandId: 'cmd-store', sequence, stream: 'stdout', data: /** @type {string} */ (data[sequence % data.length]), createdAt: Date.now() });
        }
        await store.appendOutput(rows);
      }
      return (chunks * 1000) / (performance.now() - t0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
/** @typedef {typeof methods} Methods */
serve(methods);
