// The store contract: etcd's data model, so the SQLite and etcd backends are interchangeable and the
// API server never knows which one it talks to. Values are opaque strings (the API stores JSON).

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Number of writes since creation (1 on create). */
  version: number;
  /** Lease the key is attached to, 0 for none. */
  lease: number;
}

export interface RangeOptions {
  /** Maximum number of keys to return; 0 or undefined means all. */
  limit?: number;
  /** Return keys strictly greater than this one (pagination). */
  after?: string;
  /** Read at this revision (snapshot); 0 or undefined means the latest. */
  revision?: number;
  /** Do not count the prefix (a full scan on SQLite): `count` is then left out of the result. */
  skipCount?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** True when more keys match beyond `limit`. */
  more: boolean;
  /** Number of keys matching the prefix (at `revision`), ignoring `limit` and `after`; absent with skipCount. */
  count?: number;
  /** The revision the range was read at. */
  revision: number;
}

export type TxnResult =
  | { ok: true; revision: number; kv: KeyValue }
  /** The precondition failed; `current` is the key's present value, if any. */
  | { ok: false; revision: number; current?: KeyValue };

export type DeleteResult =
  | { ok: true; revision: number; prev: KeyValue }
  | { ok: false; revision: number; current?: KeyValue };

/** One key of a createMany(). */
export interface CreateEntry {
  key: string;
  value: string;
  lease?: number;
}

/** Most entries one createMany() accepts: etcd's default --max-txn-ops. */
export const MAX_CREATE_MANY = 128;

export interface WatchEvent {
  type: 'put' | 'delete';
  /** For put: the new value. For delete: key with modRevision = the delete's revision and the last value. */
  kv: KeyValue;
  /** The value before this event, if it existed. */
  prev?: KeyValue;
}

export interface WatchOptions {
  /** First revision to deliver (inclusive). Undefined: only changes after the current revision. */
  fromRevision?: number;
  /** Called with events in revision order, batched per revision. */
  onEvents: (events: WatchEvent[]) => void;
  /**
   * Called once when the watch ends for a reason other than cancel(): `CompactedError` when fromRevision
   * was compacted away (the caller must relist), or another error when the backend connection failed.
   */
  onError: (err: Error) => void;
  /** Called when the backend reports progress with no events (used for bookmarks). Optional. */
  onProgress?: (revision: number) => void;
}

export interface Watch {
  cancel(): void;
}

/** The backend cannot be reached (etcd down or partitioned): the request may succeed if repeated later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** A read at a revision the store has not reached yet. */
export class FutureRevisionError extends Error {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`revision ${requested} is in the future (current ${current})`);
    this.name = 'FutureRevisionError';
  }
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compactRevision: number,
  ) {
    super(`revision ${requested} has been compacted (compacted up to ${compactRevision})`);
    this.name = 'CompactedError';
  }
}

export interface Store {
  readonly backend: 'sqlite' | 'etcd';
  get(key: string): Promise<KeyValue | undefined>;
  /**
   * The key's value for a write that compares its modRevision (an update or delete built on it). It may be
   * stale where `exact` is false (etcd: the watch copy, not waited for); a write built on a stale value
   * fails its compare and nothing is written, so the caller reads again with get() and retries. SQLite's is
   * always exact.
   */
  getForWrite(key: string): Promise<{ kv: KeyValue | undefined; exact: boolean }>;
  /** Keys starting with `prefix`, in key order. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  /** Create the key if absent (etcd: compare createRevision == 0). */
  create(key: string, value: string, opts?: { lease?: number }): Promise<TxnResult>;
  /**
   * Creates every absent key of `entries` in one transaction, all at one new revision (as etcd does for one
   * txn); keys that already exist are left alone. Results are in the order of `entries`. Throws (writing
   * nothing) on an unknown lease, a key given twice, or more than MAX_CREATE_MANY entries. For bulk writes such as the
   * audit trail: one round trip (etcd) or one commit (SQLite) instead of one per key.
   */
  createMany(entries: CreateEntry[]): Promise<TxnResult[]>;
  /** Replace the key if its modRevision equals `expectedModRevision`. */
  update(key: string, value: string, expectedModRevision: number, opts?: { lease?: number }): Promise<TxnResult>;
  /** Delete the key; when `expectedModRevision` is given, only if it matches. */
  delete(key: string, expectedModRevision?: number): Promise<DeleteResult>;
  watch(prefix: string, opts: WatchOptions): Watch;
  /** Grant a lease that expires after `ttlSeconds` without keepalive; returns its id. */
  grantLease(ttlSeconds: number): Promise<number>;
  revokeLease(id: number): Promise<void>;
  /** Discard history before `revision`; later watches/reads below it fail with CompactedError. */
  compact(revision: number): Promise<void>;
  /** The latest revision of the whole store. */
  currentRevision(): Promise<number>;
  /** The oldest revision still readable/watchable. */
  compactedRevision(): Promise<number>;
  /**
   * Why the last write failed for want of the store itself (a full disk, an I/O error, etcd out of space),
   * until a write succeeds again; undefined otherwise. Reads may still work meanwhile: /readyz reports it.
   */
  writeFailure?(): string | undefined;
  close(): Promise<void>;
}
