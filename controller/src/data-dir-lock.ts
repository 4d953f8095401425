// One controller per data directory. Two would each trust their own copy of the SQLite store (its read cache
// assumes this process is the only writer), both reconcile, and both dispatch the same fixes to hosts. The
// lock is an exclusive SQLite transaction held open on <data-dir>/controller.lock: an OS file lock that the
// kernel releases when the process dies, so a crash never leaves a stale lock behind (a PID file would).
import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface DataDirLock {
  release(): void;
}

export class DataDirBusyError extends Error {
  constructor(readonly dataDir: string) {
    super(`another hyprbox controller is already running on the data directory ${dataDir}; stop it first (or give this one its own --data-dir)`);
    this.name = 'DataDirBusyError';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, 'controller.lock');
  const db = new Database(file, { timeout: 0 });
  try {
    // Nothing is ever written (no journal file); the held EXCLUSIVE lock stops every other BEGIN EXCLUSIVE.
    db.pragma('journal_mode = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirBusyError(dataDir);
    throw err;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
