import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), 'onsembl-sqlite-'));
  dirs.push(dir);
  return join(dir, 'store.db');
};

// The embedded store numbers events in the server's memory before they are written, so a crash can
// lose positions a dashboard already saw: this epoch rule is SQLite's own (PostgreSQL keeps its epoch).
describe('SqliteStore epochs', () => {
  it('gets a new epoch when the previous process did not close it (positions may have been lost)', async () => {
    const file = fileIn();
    const crashed = new SqliteStore(file);
    const reopened = new SqliteStore(file); // the first was never closed, as after SIGKILL
    expect(reopened.epoch).not.toBe(crashed.epoch);
    await reopened.close();
    const clean = new SqliteStore(file);
    expect(clean.epoch).toBe(reopened.epoch);
    await clean.close();
    await crashed.close();
  });

  it('gets a new epoch after a close that says events were lost', async () => {
    const file = fileIn();
    const first = new SqliteStore(file);
    await first.close({ historyComplete: false });
    const next = new SqliteStore(file);
    expect(next.epoch).not.toBe(first.epoch);
    await next.close();
    const clean = new SqliteStore(file);
    expect(clean.epoch).toBe(next.epoch);
    await clean.close();
  });
});
