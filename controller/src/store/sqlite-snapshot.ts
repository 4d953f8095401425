// Snapshots of the embedded store, for `hyprbox-controller backup` and `restore` (backup.ts). A snapshot is
// taken from a read-only connection, so a running controller keeps serving while it is made; restoring moves
// the revision far forward and marks everything before it compacted, as `etcdutl snapshot restore
// --bump-revision --mark-compacted` does: clients that saw revisions newer than the snapshot get 410 and relist
// instead of waiting for revisions that will now mean something else.
import Database from 'better-sqlite3';

/** Writes a consistent copy of the store file `from` to `to` (which must not exist); returns its revision. */
export function snapshotSqlite(from: string, to: string): number {
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // VACUUM INTO reads in one transaction: the copy is the state at one revision, compact and defragmented.
    db.prepare('VACUUM INTO ?').run(to);
  } finally {
    db.close();
  }
  return revisionOf(to);
}

/** The revision a store file is at; throws when the file is not a HyprBox store. */
export function revisionOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE name = 'revision'").get();
    if (!row || !Number.isSafeInteger(row.value)) throw new Error(`${file} has no revision: not a HyprBox store`);
    return row.value;
  } finally {
    db.close();
  }
}

/**
 * Prepares a copied store file to be served again: history is cut to the current values (as a compaction at
 * its revision would), then the revision moves `bump` forward and everything before it is marked compacted.
 * Returns the new revision.
 */
export function bumpRestoredStore(file: string, bump: number): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`${file} is damaged: ${String(check)}`);
    return db.transaction(() => {
      const rev = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE name = 'revision'").get()?.value;
      if (rev === undefined) throw new Error(`${file} has no revision: not a HyprBox store`);
      db.exec('DELETE FROM history WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.key = history.key AND c.mod_rev = history.mod_rev)');
      const next = rev + bump;
      db.prepare<[number]>("UPDATE meta SET value = ? WHERE name IN ('revision', 'compacted')").run(next);
      return next;
    })();
  } finally {
    db.close();
  }
}
