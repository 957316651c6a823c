import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ThreadedSqliteStore } from './threaded-sqlite-store.js';

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-threaded-'));
  dirs.push(dir);
  return join(dir, 'store.db');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ThreadedSqliteStore', () => {
  it('fails to open with SQLite’s own error when the file cannot be created', async () => {
    await expect(ThreadedSqliteStore.open(join(tempFile(), 'no-such-dir', 'store.db'))).rejects.toThrow(/unable to open database|directory does not exist/);
  });

  it('runs calls in the order they were made, without waiting for each other', async () => {
    const store = await ThreadedSqliteStore.open(tempFile());
    const chunk = (sequence: number) => ({ commandId: 'c', sequence, stream: 'stdout' as const, data: `line ${sequence}\r\n`, createdAt: Date.now() });
    const writes = Array.from({ length: 50 }, (_, i) => store.appendOutput([chunk(i + 1)]));
    const read = store.readOutput('c', 0);
    await Promise.all(writes);
    expect((await read).map((c) => c.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(store.threadMs.appendOutput).toBeGreaterThan(0);
    await store.close();
  });

  it('passes a failing call’s error back, keeps working after it, and refuses calls once closed', async () => {
    const store = await ThreadedSqliteStore.open(tempFile());
    const command = {
      id: 'cmd-1', agentId: 'a', command: 'true', priority: 'normal' as const, status: 'queued' as const,
      requestedBy: 'tester', queuedAt: 1, lastSequence: 0,
    };
    await store.createCommand(command);
    // The SqliteError crosses over with its message and code.
    await expect(store.createCommand(command)).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: /UNIQUE/ });
    expect((await store.getCommand('cmd-1'))?.command).toBe('true');
    await store.close();
    await expect(store.listAgents()).rejects.toThrow('the store is closed');
  });
});
