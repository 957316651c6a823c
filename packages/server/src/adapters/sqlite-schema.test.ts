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

  it('carry agents, commands and events of a file from before AI runs forward, and take trace records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onsembl-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'onsembl.db');
    const old = new Database(file);
    for (let i = 0; i < 4; i++) old.exec(SQLITE_MIGRATIONS[i] as string);
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO agents (id, name, type, last_seen_at) VALUES ('a1', 'one', 'shell', 5)").run();
    old.prepare(`INSERT INTO commands (id, agent_id, command, priority, status, requested_by, queued_at, last_sequence)
      VALUES ('c1', 'a1', 'ls', 'normal', 'completed', 'u', 10, 1)`).run();
    old.prepare("INSERT INTO output (command_id, sequence, stream, data, created_at) VALUES ('c1', 1, 'stdout', 'x', 11)").run();
    old.prepare(`INSERT INTO events (offset, created_at, text, command_id, agent_id, sequence, timestamp)
      VALUES (1, 11, '', 'c1', 'a1', 1, 11), (2, 12, '{"type":"command:status"}', NULL, NULL, NULL, NULL)`).run();
    old.close();

    const store = new SqliteStore(file);
    try {
      expect(await store.listAgents()).toEqual([{ id: 'a1', name: 'one', type: 'shell', lastSeenAt: 5, hostname: undefined, version: undefined }]);
      const command = await store.getCommand('c1');
      expect(command).toMatchObject({ id: 'c1', status: 'completed', lastSequence: 1 });
      for (const field of ['sessionId', 'usage', 'stopReason', 'lastTraceSequence', 'maxTokens']) expect(command, field).not.toHaveProperty(field);
      const [output, status] = await store.readEvents(0, 10);
      expect(output).toMatchObject({ offset: 1, output: { commandId: 'c1', sequence: 1 }, chunk: { data: 'x' } });
      expect(output?.trace).toBeUndefined();
      expect(status).toMatchObject({ offset: 2, text: '{"type":"command:status"}' });
      await store.appendTrace([{ commandId: 'c1', sequence: 1, kind: 'message', event: '{"kind":"message","at":1,"text":"t"}', createdAt: 13 }]);
      expect(await store.lastTraceSequence('c1')).toBe(1);
    } finally {
      await store.close();
    }
  });
});
