import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite schema migrations', () => {
  it('carry a file written by an earlier version forward with its output intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onsembl-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'onsembl.db');
    // A store as the version before the output table's last change left it.
    const old = new Database(file);
    for (let i = 0; i < 3; i++) old.exec(SQLITE_MIGRATIONS[i] as string);
    old.pragma('user_version = 3');
    const insert = old.prepare('INSERT INTO output (command_id, sequence, stream, data, created_at) VALUES (?, ?, ?, ?, ?)');
    for (let sequence = 1; sequence <= 5; sequence++) insert.run('c1', sequence, 'stdout', `chunk ${sequence}`, 1000 + sequence);
    old.close();

    const store = new SqliteStore(file);
    try {
      expect((await store.readOutput('c1', 0)).map((c) => c.data)).toEqual(['chunk 1', 'chunk 2', 'chunk 3', 'chunk 4', 'chunk 5']);
      // Still one row per (command, sequence): a resent chunk is ignored, a new one appended.
      await store.appendOutput([
        { commandId: 'c1', sequence: 5, stream: 'stdout', data: 'resent', createdAt: 2000 },
        { commandId: 'c1', sequence: 6, stream: 'stdout', data: 'chunk 6', createdAt: 2001 },
      ]);
      expect((await store.readOutput('c1', 4)).map((c) => c.data)).toEqual(['chunk 5', 'chunk 6']);
      expect(await store.lastOutputSequence('c1')).toBe(6);
    } finally {
      await store.close();
    }
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    reopened.close();
  });
});
