import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Another live server holds the data dir: starting a second one on it would corrupt the epoch. */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly holderPid: number | undefined) {
    super(
      `the data dir ${dataDir} is in use by another Onsembl server` +
        (holderPid === undefined ? '' : ` (pid ${holderPid})`) +
        '; stop it first, or start this one with another --data-dir',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Holds the data dir for one server process. The lock is SQLite's own file lock (a RESERVED lock
 * held by an open write transaction), so the operating system releases it when the process dies,
 * however it dies: no stale lock file to clean up, no pid that may have been reused. Readers may
 * still read the committed holder row, which is how a refused start names the holder's pid.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(join(dataDir, 'server.lock'), { timeout: 0 });
  try {
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)');
    const holder = () => (db.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined)?.pid;
    const acquire = () => {
      try {
        db.exec('BEGIN IMMEDIATE');
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
        throw err;
      }
    };
    if (!acquire()) throw new DataDirInUseError(dataDir, holder());
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(process.pid, Date.now());
    db.exec('COMMIT');
    // Publishing the pid needed a commit, which let go of the lock for a moment: take it again. A
    // server that started in that moment holds it now, and this one is the second.
    if (!acquire()) throw new DataDirInUseError(dataDir, holder());
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
