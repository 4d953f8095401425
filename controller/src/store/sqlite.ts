// The embedded store: etcd's model on one SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous,
// so every write is one transaction that cannot interleave with another; watchers are notified after commit.
//
// Tables: `current` holds the live value of every key (fast reads); `history` holds every revision of every
// key until compaction (snapshot reads and watch replay). A delete writes a tombstone row to history that
// carries the last value, so a replayed DELETED event can show the object it removed.
import Database from 'better-sqlite3';
import { CompactedError, FutureRevisionError, MAX_CREATE_MANY, StoreUnavailableError } from './types.js';
import type {
  CreateEntry,
  DeleteResult,
  KeyValue,
  RangeOptions,
  RangeResult,
  Store,
  TxnResult,
  Watch,
  WatchEvent,
  WatchOptions,
} from './types.js';

export interface SqliteStoreOptions {
  /** Path of the database file; ':memory:' is refused (the store exists to persist). */
  file: string;
  /** Automatic compaction: keep this many revisions of history (default 10,000). 0 disables. */
  retainRevisions?: number;
  /** How often automatic compaction and lease expiry run, in ms (default 1000). */
  maintenanceIntervalMs?: number;
  /** Injectable clock (ms since epoch) for lease expiry. */
  now?: () => number;
  /** Told when the periodic lease expiry and compaction fail (first failure, then every 60th). */
  onMaintenanceError?: (err: Error) => void;
}

/** SQLite failures that are the storage's, not the request's: the caller gets a 503 and may retry. */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB|PROTOCOL)/;
function storeError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`the SQLite store cannot write (${code}): ${(err as Error).message}`, { cause: err });
  }
  return err;
}

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: number;
}
interface HistoryRow extends Row {
  deleted: number;
}

const toKv = (r: Row): KeyValue => ({
  key: r.key,
  value: r.value,
  createRevision: r.create_rev,
  modRevision: r.mod_rev,
  version: r.version,
  lease: r.lease,
});

/** The smallest string greater than every string starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

interface Watcher {
  prefix: string;
  /** Events below this revision are not for this watcher (a fromRevision in the future). */
  minRevision: number;
  opts: WatchOptions;
  active: boolean;
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.file === ':memory:' || options.file === '') throw new Error('sqlite store needs a file path');
  const retain = options.retainRevisions ?? 10_000;
  const now = options.now ?? Date.now;
  const db = new Database(options.file);
  // auto_vacuum must be set before the first table exists; INCREMENTAL lets us return free pages a few at a
  // time after compaction instead of rewriting the whole file with VACUUM.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // A compaction's transaction can outgrow the auto-checkpoint size; without a limit the WAL would keep that
  // high-water mark on disk for as long as the store is open.
  db.pragma('journal_size_limit = 4194304');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta VALUES ('revision', 1), ('compacted', 0), ('lease_seq', 0);
    CREATE TABLE IF NOT EXISTS current (
      key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,
      version INTEGER NOT NULL, lease INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS history (
      key TEXT NOT NULL, mod_rev INTEGER NOT NULL, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
      version INTEGER NOT NULL, lease INTEGER NOT NULL, deleted INTEGER NOT NULL,
      PRIMARY KEY (key, mod_rev)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS history_rev ON history (mod_rev);
    CREATE TABLE IF NOT EXISTS leases (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS current_lease ON current (lease) WHERE lease != 0;
  `);

  const q = {
    meta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
    get: db.prepare<[string], Row>('SELECT * FROM current WHERE key = ?'),
    upsert: db.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO current (key, value, create_rev, mod_rev, version, lease) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, create_rev = excluded.create_rev,
       mod_rev = excluded.mod_rev, version = excluded.version, lease = excluded.lease`,
    ),
    del: db.prepare<[string]>('DELETE FROM current WHERE key = ?'),
    hist: db.prepare<[string, number, string, number, number, number, number]>(
      'INSERT INTO history (key, mod_rev, value, create_rev, version, lease, deleted) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    range: db.prepare<[string, string, number], Row>(
      'SELECT * FROM current WHERE key >= ? AND key < ? ORDER BY key LIMIT ?',
    ),
    count: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM current WHERE key >= ? AND key < ?'),
    // The newest history row at or below the revision, per key; tombstones filtered afterwards.
    rangeAt: db.prepare<[number, string, string, number], HistoryRow>(
      `SELECT h.* FROM history h
       JOIN (SELECT key, max(mod_rev) AS rev FROM history WHERE mod_rev <= ? AND key >= ? AND key < ? GROUP BY key) m
       ON h.key = m.key AND h.mod_rev = m.rev WHERE h.deleted = 0 ORDER BY h.key LIMIT ?`,
    ),
    countAt: db.prepare<[number, string, string], { n: number }>(
      `SELECT count(*) AS n FROM history h
       JOIN (SELECT key, max(mod_rev) AS rev FROM history WHERE mod_rev <= ? AND key >= ? AND key < ? GROUP BY key) m
       ON h.key = m.key AND h.mod_rev = m.rev WHERE h.deleted = 0`,
    ),
    since: db.prepare<[number, string, string], HistoryRow>(
      'SELECT * FROM history WHERE mod_rev >= ? AND key >= ? AND key < ? ORDER BY mod_rev',
    ),
    prevOf: db.prepare<[string, number], HistoryRow>(
      'SELECT * FROM history WHERE key = ? AND mod_rev < ? ORDER BY mod_rev DESC LIMIT 1',
    ),
    // Compaction keeps, for each key, the newest row at or below the compaction revision (unless a tombstone).
    // Only keys written since the previous compaction can have anything to discard (everything older was
    // compacted then), so compaction reads those rows, not the whole history.
    compactTouched: db.prepare<[number, number], { key: string; keep: number }>(
      'SELECT key, max(mod_rev) AS keep FROM history WHERE mod_rev > ? AND mod_rev <= ? GROUP BY key',
    ),
    compactKey: db.prepare<[string, number, number]>(
      'DELETE FROM history WHERE key = ? AND (mod_rev < ? OR (mod_rev = ? AND deleted = 1))',
    ),
    leaseInsert: db.prepare<[number, number, number]>('INSERT INTO leases (id, ttl, expires_at) VALUES (?, ?, ?)'),
    leaseGet: db.prepare<[number], { id: number }>('SELECT id FROM leases WHERE id = ?'),
    leaseDelete: db.prepare<[number]>('DELETE FROM leases WHERE id = ?'),
    leaseExpired: db.prepare<[number], { id: number }>('SELECT id FROM leases WHERE expires_at <= ?'),
    leaseKeys: db.prepare<[number], Row>('SELECT * FROM current WHERE lease = ?'),
  };

  const metaValue = (name: string): number => q.meta.get(name)?.value ?? 0;
  let revision = metaValue('revision');
  let compacted = metaValue('compacted');
  const watchers = new Set<Watcher>();
  let pending: WatchEvent[] = [];
  let closed = false;

  // Single-key reads (every API GET, the current object every update starts from, namespace checks) come
  // from a bounded copy of recently used rows of `current`. Only this process writes the file, so the copy
  // is exact: a write drops its key inside the transaction (a rollback then only costs a miss) and puts the
  // committed value back after the commit. A read of the file costs a WAL read transaction; this a Map lookup.
  const hot = new Map<string, KeyValue>();
  const HOT_MAX = 10_000;
  const remember = (kv: KeyValue): void => {
    hot.delete(kv.key);
    if (hot.size >= HOT_MAX) hot.delete(hot.keys().next().value!);
    hot.set(kv.key, kv);
  };

  const bump = (): number => {
    revision += 1;
    q.setMeta.run(revision, 'revision');
    return revision;
  };

  // Deliver after the transaction commits and outside the caller's stack, grouped per revision.
  const emit = (ev: WatchEvent): void => {
    if (pending.length === 0) queueMicrotask(flush);
    pending.push(ev);
  };
  function flush(): void {
    const batch = pending;
    pending = [];
    for (const w of watchers) {
      if (!w.active) continue;
      const mine = batch.filter((e) => e.kv.key.startsWith(w.prefix) && e.kv.modRevision >= w.minRevision);
      deliverGrouped(w, mine);
    }
  }
  function deliverGrouped(w: Watcher, events: WatchEvent[]): void {
    let i = 0;
    while (i < events.length && w.active) {
      const rev = events[i]!.kv.modRevision;
      let j = i;
      while (j < events.length && events[j]!.kv.modRevision === rev) j++;
      w.opts.onEvents(events.slice(i, j));
      i = j;
    }
  }

  /**
   * A write transaction whose effects on this process's own state (the revision counter, the compaction
   * point, watch events not yet delivered) are undone with it. A commit can fail after the statements ran
   * (a full disk, an I/O error): without this, watchers would see a write that was never stored, and the
   * revision counter would run ahead of the file, so revisions would be handed out twice after a restart.
   */
  function atomic<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const tx = db.transaction(fn);
    return (...args: A): R => {
      const rev0 = revision;
      const compacted0 = compacted;
      const pending0 = pending.length;
      try {
        const r = tx(...args);
        writeFailure = undefined;
        return r;
      } catch (err) {
        revision = rev0;
        compacted = compacted0;
        pending.length = Math.min(pending.length, pending0);
        const mapped = storeError(err);
        if (mapped instanceof StoreUnavailableError) writeFailure = mapped.message;
        throw mapped;
      }
    };
  }
  let writeFailure: string | undefined;

  const putTx = atomic(
    (key: string, value: string, expected: number | 'absent', lease: number): TxnResult => {
      const cur = q.get.get(key);
      const ok = expected === 'absent' ? cur === undefined : cur !== undefined && cur.mod_rev === expected;
      if (!ok) return { ok: false, revision, ...(cur ? { current: toKv(cur) } : {}) };
      if (lease !== 0 && !q.leaseGet.get(lease)) throw new Error(`lease ${lease} not found`);
      hot.delete(key);
      const rev = bump();
      const createRev = cur ? cur.create_rev : rev;
      const version = cur ? cur.version + 1 : 1;
      q.upsert.run(key, value, createRev, rev, version, lease);
      q.hist.run(key, rev, value, createRev, version, lease, 0);
      const kv: KeyValue = { key, value, createRevision: createRev, modRevision: rev, version, lease };
      emit({ type: 'put', kv, ...(cur ? { prev: toKv(cur) } : {}) });
      return { ok: true, revision: rev, kv };
    },
  );

  // All absent keys at one revision, like one etcd txn; the leases are checked before anything is written.
  const createManyTx = atomic((entries: CreateEntry[]): TxnResult[] => {
    for (const e of entries) {
      if (e.lease && !q.leaseGet.get(e.lease)) throw new Error(`lease ${e.lease} not found`);
    }
    if (new Set(entries.map((e) => e.key)).size !== entries.length) throw new Error('createMany: a key is given twice');
    const before = revision;
    const found = entries.map((e) => q.get.get(e.key));
    if (found.every((cur) => cur !== undefined)) return found.map((cur) => ({ ok: false, revision: before, current: toKv(cur!) }));
    const rev = bump();
    return entries.map((e, i): TxnResult => {
      const cur = found[i];
      if (cur) return { ok: false, revision: before, current: toKv(cur) };
      const lease = e.lease ?? 0;
      hot.delete(e.key);
      q.upsert.run(e.key, e.value, rev, rev, 1, lease);
      q.hist.run(e.key, rev, e.value, rev, 1, lease, 0);
      const kv: KeyValue = { key: e.key, value: e.value, createRevision: rev, modRevision: rev, version: 1, lease };
      emit({ type: 'put', kv });
      return { ok: true, revision: rev, kv };
    });
  });

  const deleteRow = (cur: Row, rev: number): KeyValue => {
    hot.delete(cur.key);
    q.del.run(cur.key);
    q.hist.run(cur.key, rev, cur.value, cur.create_rev, cur.version, cur.lease, 1);
    const prev = toKv(cur);
    emit({ type: 'delete', kv: { ...prev, modRevision: rev }, prev });
    return prev;
  };

  const deleteTx = atomic((key: string, expected: number | undefined): DeleteResult => {
    const cur = q.get.get(key);
    if (!cur || (expected !== undefined && cur.mod_rev !== expected)) {
      return { ok: false, revision, ...(cur ? { current: toKv(cur) } : {}) };
    }
    const rev = bump();
    return { ok: true, revision: rev, prev: deleteRow(cur, rev) };
  });

  // Like etcd, all keys of a lease go away in one revision.
  const revokeTx = atomic((id: number): void => {
    if (!q.leaseGet.get(id)) return;
    q.leaseDelete.run(id);
    const keys = q.leaseKeys.all(id);
    if (keys.length === 0) return;
    const rev = bump();
    for (const k of keys) deleteRow(k, rev);
  });

  const compactTx = atomic((rev: number): void => {
    for (const { key, keep } of q.compactTouched.all(compacted, rev)) q.compactKey.run(key, keep, keep);
    compacted = rev;
    q.setMeta.run(rev, 'compacted');
  });

  const checkOpen = (): void => {
    if (closed) throw new Error('store is closed');
  };

  const doCompact = (rev: number): void => {
    if (rev > revision) throw new Error(`cannot compact to ${rev}: current revision is ${revision}`);
    if (rev <= compacted) return;
    compactTx(rev);
    // Return freed pages to the file system a bounded amount at a time.
    db.pragma('incremental_vacuum(2000)');
  };

  let writesSinceCompact = 0;
  // A timer has nobody to throw to: a failure (a full disk) is reported and tried again on the next tick.
  let maintenanceFailures = 0;
  const maintenance = (): void => {
    if (closed) return;
    try {
      for (const { id } of q.leaseExpired.all(now())) revokeTx(id);
      if (retain > 0 && revision - compacted > retain * 1.1) doCompact(revision - retain);
      writesSinceCompact = 0;
      maintenanceFailures = 0;
    } catch (err) {
      if (maintenanceFailures++ % 60 === 0) options.onMaintenanceError?.(err as Error);
    }
  };
  const timer = setInterval(maintenance, options.maintenanceIntervalMs ?? 1000);
  timer.unref();

  // Heavy write bursts compact inline so the file stays bounded even between timer ticks.
  const afterWrite = (): void => {
    writesSinceCompact += 1;
    if (retain > 0 && writesSinceCompact >= Math.max(1000, retain / 10) && revision - compacted > retain * 1.1) {
      doCompact(revision - retain);
      writesSinceCompact = 0;
    }
  };

  const committed = (kv: KeyValue): void => {
    remember({ ...kv });
    afterWrite();
  };

  const store: Store = {
    backend: 'sqlite',
    async get(key) {
      checkOpen();
      const cached = hot.get(key);
      if (cached) return { ...cached };
      const r = q.get.get(key);
      if (!r) return undefined;
      const kv = toKv(r);
      remember(kv);
      return { ...kv };
    },
    async getForWrite(key) {
      return { kv: await store.get(key), exact: true };
    },
    async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
      checkOpen();
      const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
      const end = prefixEnd(prefix);
      // Keys never contain NUL, so after + NUL is the smallest key strictly after `after`.
      const lo = opts.after !== undefined && opts.after >= prefix ? opts.after + '\0' : prefix;
      const fetch = limit > 0 ? limit + 1 : -1;
      const read = db.transaction((): RangeResult => {
        const at = opts.revision && opts.revision > 0 ? opts.revision : 0;
        if (at > revision) throw new FutureRevisionError(at, revision);
        if (at !== 0 && at < compacted) throw new CompactedError(at, compacted);
        const latest = at === 0 || at === revision;
        const rows: Row[] = latest ? q.range.all(lo, end, fetch) : q.rangeAt.all(at, lo, end, fetch);
        const count = opts.skipCount ? undefined : latest ? q.count.get(prefix, end)!.n : q.countAt.get(at, prefix, end)!.n;
        const more = limit > 0 && rows.length > limit;
        return { kvs: (more ? rows.slice(0, limit) : rows).map(toKv), more, ...(count === undefined ? {} : { count }), revision: at || revision };
      });
      return read();
    },
    async create(key, value, opts = {}) {
      checkOpen();
      const r = putTx(key, value, 'absent', opts.lease ?? 0);
      if (r.ok) committed(r.kv);
      return r;
    },
    async createMany(entries) {
      checkOpen();
      if (entries.length > MAX_CREATE_MANY) throw new Error(`createMany takes at most ${MAX_CREATE_MANY} entries (got ${entries.length})`);
      if (entries.length === 0) return [];
      const r = createManyTx(entries);
      // Not kept in the copy of hot rows: bulk writes (the audit trail) are not read back one by one, and
      // would push out the rows that are.
      if (r.some((x) => x.ok)) afterWrite();
      return r;
    },
    async update(key, value, expected, opts = {}) {
      checkOpen();
      const r = putTx(key, value, expected, opts.lease ?? 0);
      if (r.ok) committed(r.kv);
      return r;
    },
    async delete(key, expected) {
      checkOpen();
      const r = deleteTx(key, expected);
      if (r.ok) afterWrite();
      return r;
    },
    watch(prefix: string, opts: WatchOptions): Watch {
      checkOpen();
      const w: Watcher = { prefix, opts, active: true, minRevision: opts.fromRevision ?? 0 };
      // Deliver what is already committed first: after this, every event still to come has a revision above
      // the current one, and its flush is queued behind the replay below.
      flush();
      const from = opts.fromRevision;
      if (from !== undefined && from > 0 && from <= revision) {
        if (from < compacted) {
          queueMicrotask(() => opts.onError(new CompactedError(from, compacted)));
          return { cancel() {} };
        }
        const replay = q.since.all(from, prefix, prefixEnd(prefix)).map((r): WatchEvent => {
          const prevRow = r.deleted || r.version > 1 ? q.prevOf.get(r.key, r.mod_rev) : undefined;
          const prev = prevRow && !prevRow.deleted ? toKv(prevRow) : undefined;
          return { type: r.deleted ? 'delete' : 'put', kv: toKv(r), ...(prev ? { prev } : {}) };
        });
        if (replay.length) queueMicrotask(() => deliverGrouped(w, replay));
      }
      watchers.add(w);
      return {
        cancel() {
          w.active = false;
          watchers.delete(w);
        },
      };
    },
    writeFailure: () => writeFailure,
    async grantLease(ttlSeconds) {
      checkOpen();
      if (!(ttlSeconds > 0)) throw new Error('lease TTL must be positive');
      const grant = db.transaction((): number => {
        const id = metaValue('lease_seq') + 1;
        q.setMeta.run(id, 'lease_seq');
        q.leaseInsert.run(id, ttlSeconds, now() + ttlSeconds * 1000);
        return id;
      });
      return grant();
    },
    async revokeLease(id) {
      checkOpen();
      revokeTx(id);
    },
    async compact(rev) {
      checkOpen();
      doCompact(rev);
    },
    async currentRevision() {
      return revision;
    },
    async compactedRevision() {
      return compacted;
    },
    async close() {
      if (closed) return;
      flush();
      closed = true;
      clearInterval(timer);
      for (const w of watchers) w.active = false;
      watchers.clear();
      hot.clear();
      db.close();
    },
  };
  return store;
}
