// The etcd backend: the Store contract is etcd's own data model, so this is mostly a thin mapping onto the
// etcd v3 API through the `etcd3` client (raw KV/Lease RPCs for exact control, the library's watch manager
// for watches). Values and keys are UTF-8 strings; revisions are JS numbers (they fit in 2^53).
//
// Details worth knowing:
// - Compare-and-swap is one etcd txn: create compares createRevision == 0; update and delete compare
//   modRevision == expected AND createRevision > 0 (an absent key has modRevision 0, which must not match).
//   The failure branch reads the key, so a failed precondition returns the current value in the same round trip.
// - Lease ids: etcd picks 63-bit lease ids, which do not fit a JS number. We choose the id ourselves (etcd's
//   LeaseGrant accepts a requested id), at random in [1, 2^53), retrying on the rare collision. Keys
//   attached to leases granted by other clients may carry ids above 2^53 and read back imprecisely.
// - Compacted revision: etcd does not report its compaction point through any cheap API (Status does not
//   have it; a range below it just fails with "required revision has been compacted"). We keep the highest
//   revision we know is compacted (our own compact() calls and earlier discoveries) and verify it with one
//   range at that revision; if that fails (someone compacted further), a binary search over
//   (known, current] with count-only ranges finds the exact point in O(log n) round trips.
//   Reads at revision r fail iff r < compactRevision, and watches from r are cancelled iff r < compactRevision,
//   so the same predicate serves both.
// - Compaction as etcd does it: the latest value of every key at or below the compaction revision stays
//   readable, but a delete (tombstone) at exactly that revision is discarded, so a watch from the compaction
//   revision does not replay it. The SQLite backend does the same.
// - Watches go through the etcd3 WatchManager (one gRPC stream per client). When etcd cancels a watch
//   because its start revision was compacted, etcd sends a response with canceled=true and
//   compact_revision set; etcd3 drops that response and emits `error` on the Watcher with the message
//   "Watcher canceled: " (cancel_reason is empty for compaction), losing compact_revision. We therefore check
//   whether the watch's next revision is still readable and, if not, report CompactedError with the
//   discovered compaction revision.
// - etcd3 silently re-subscribes a watcher after a disconnect, resuming from the last response header's
//   revision + 1, which can skip events still being replayed. We do not let it: a disconnect ends our watch
//   with onError (the contract's "backend connection failed"), and the caller re-watches from the last
//   revision it saw.
import { handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError, EtcdLeaseInvalidError } from 'etcd3';
import type { CallContext, IEvent, IKeyValue, IRangeRequest, IRangeResponse, ITxnResponse, IWatchResponse } from 'etcd3';
import { EtcdReadCache } from './etcd-read-cache.js';
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

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ['http://127.0.0.1:2379']. */
  endpoints: string[];
  /** How long createEtcdStore keeps trying to reach etcd before it rejects (default 5000 ms). */
  dialTimeoutMs?: number;
}

/**
 * Deadline of each attempt of a unary call except compaction (which may legitimately take long). With one
 * retry (below), a request that meets a cut-off etcd is answered 503 within about 20 s, not after minutes.
 */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long close() waits for watch cancellations to be acknowledged before closing the client anyway. */
const CLOSE_TIMEOUT_MS = 2_000;
/** A key for revision/compaction probes; any key works, since only the response header or error matters. */
const PROBE_KEY = Buffer.from([0]);
const ZERO = Buffer.from([0]);

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The first key after every key starting with `prefix` ('\0' = to the end of the keyspace). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return ZERO;
}

const toKv = (kv: IKeyValue): KeyValue => ({
  key: kv.key.toString('utf8'),
  value: kv.value.toString('utf8'),
  createRevision: Number(kv.create_revision),
  modRevision: Number(kv.mod_revision),
  version: Number(kv.version),
  lease: Number(kv.lease),
});

function toEvent(ev: IEvent): WatchEvent {
  const prev = ev.prev_kv ? toKv(ev.prev_kv) : undefined;
  if (ev.type === 'Delete') {
    // etcd's delete event carries only the key and the delete's revision; the contract wants the last value.
    const modRevision = Number(ev.kv.mod_revision);
    const kv: KeyValue = prev
      ? { ...prev, modRevision }
      : { key: ev.kv.key.toString('utf8'), value: '', createRevision: 0, modRevision, version: 0, lease: 0 };
    return prev ? { type: 'delete', kv, prev } : { type: 'delete', kv };
  }
  return prev ? { type: 'put', kv: toKv(ev.kv), prev } : { type: 'put', kv: toKv(ev.kv) };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isCompactedError = (err: unknown): boolean => message(err).includes('required revision has been compacted');
const isFutureError = (err: unknown): boolean => message(err).includes('required revision is a future revision');

/** Connection-level failures: gRPC unavailable/deadline/etc. (etcd3 marks them recoverable) or an open breaker. */
/** etcd's answer to a write once its database reached its quota (the NOSPACE alarm): reads still work. */
const NO_SPACE = /database space exceeded|NOSPACE/i;

function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    isRecoverableError(err) ||
    err.constructor.name === 'BrokenCircuitError' ||
    (err as { isBrokenCircuitError?: unknown }).isBrokenCircuitError === true
  );
}

function delay(ms: number): { promise: Promise<void>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

interface ActiveWatch {
  /** Stop delivering and detach from etcd; resolves when etcd acknowledged (or there was nothing to do). */
  stop(): Promise<void>;
}

class EtcdStore implements Store {
  readonly backend = 'etcd' as const;
  /** Highest revision etcd is known to be compacted to (0: none known). etcd never lowers it. */
  private compacted = 0;
  private closed = false;
  private readonly watches = new Set<ActiveWatch>();
  private readonly where: string;
  /** Serves get() of recently read keys without a range per read (see etcd-read-cache.ts). */
  readonly reads: EtcdReadCache;

  constructor(
    private readonly client: Etcd3,
    endpoints: string[],
  ) {
    this.where = endpoints.join(', ');
    this.reads = new EtcdReadCache(client, () => this.call('currentRevision', () => this.revisionNow()));
  }

  private error(op: string, err: unknown): Error {
    if (err instanceof CompactedError) return err;
    // Before the reachability test: etcd3 counts RESOURCE_EXHAUSTED as a recoverable (network) error.
    if (NO_SPACE.test(message(err))) {
      return new StoreUnavailableError(`etcd is out of space at ${this.where} (${op}): ${message(err)}; compact, defragment and disarm the NOSPACE alarm`, { cause: err });
    }
    if (isUnreachable(err)) return new StoreUnavailableError(`etcd unreachable at ${this.where} (${op}): ${message(err)}`, { cause: err });
    return new Error(`etcd ${op} failed (${this.where}): ${message(err)}`, { cause: err });
  }

  /**
   * Run one operation, turning its failure into an error that names the operation and the endpoints. A write
   * (`write`) that fails for want of etcd's space is remembered until one succeeds (see writeFailure).
   */
  private async call<T>(op: string, fn: () => Promise<T>, write = false): Promise<T> {
    if (this.closed) throw new Error(`etcd store (${this.where}) is closed`);
    try {
      const r = await fn();
      if (write) this.lastWriteFailure = undefined;
      return r;
    } catch (err) {
      const e = this.error(op, err);
      if (write && e instanceof StoreUnavailableError && NO_SPACE.test(e.message)) this.lastWriteFailure = e.message;
      throw e;
    }
  }

  private lastWriteFailure: string | undefined;
  writeFailure(): string | undefined {
    return this.lastWriteFailure;
  }

  /** Like call(), for reads at `revision`: etcd's "compacted" error becomes CompactedError. */
  private async snapshot<T>(op: string, revision: number, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`etcd store (${this.where}) is closed`);
    try {
      return await fn();
    } catch (err) {
      if (revision > 0 && isCompactedError(err)) {
        throw new CompactedError(revision, await this.call('compactedRevision', () => this.discoverCompacted(revision)));
      }
      if (revision > 0 && isFutureError(err)) throw new FutureRevisionError(revision, await this.call('currentRevision', () => this.revisionNow()));
      throw this.error(op, err);
    }
  }

  private async readable(revision: number): Promise<boolean> {
    try {
      await this.client.kv.range({ key: PROBE_KEY, revision, count_only: true });
      return true;
    } catch (err) {
      if (isCompactedError(err)) return false;
      throw err;
    }
  }

  private async revisionNow(): Promise<number> {
    const res = await this.client.kv.range({ key: PROBE_KEY, count_only: true });
    return Number(res.header.revision);
  }

  /**
   * etcd's compaction revision (the oldest readable revision; 0 if never compacted). `unreadable` is a
   * revision already known to be compacted away (0: none), which narrows the search.
   */
  private async discoverCompacted(unreadable = 0): Promise<number> {
    let lo = unreadable; // invariant: lo === 0 or lo is not readable; the answer is the smallest readable > lo
    if (this.compacted > lo) {
      if (await this.readable(this.compacted)) return this.compacted;
      lo = this.compacted;
    } else if (lo === 0) {
      if (await this.readable(1)) return this.compacted;
      lo = 1;
    }
    let hi = await this.revisionNow(); // the current revision is always readable
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await this.readable(mid)) hi = mid;
      else lo = mid;
    }
    this.compacted = Math.max(this.compacted, hi);
    return hi;
  }

  private current(res: ITxnResponse): { current?: KeyValue } {
    const kv = res.responses[0]?.response_range?.kvs[0];
    return kv ? { current: toKv(kv) } : {};
  }

  async get(key: string): Promise<KeyValue | undefined> {
    if (this.closed) throw new Error(`etcd store (${this.where}) is closed`);
    return this.reads.get(key, async () => {
      const res = await this.call(`get ${key}`, () => this.client.kv.range({ key: enc(key) }));
      const kv = res.kvs[0];
      return { kv: kv ? toKv(kv) : undefined, revision: Number(res.header.revision) };
    });
  }

  async getForWrite(key: string): Promise<{ kv: KeyValue | undefined; exact: boolean }> {
    if (this.closed) throw new Error(`etcd store (${this.where}) is closed`);
    const copy = this.reads.peek(key);
    return copy ? { kv: copy, exact: false } : { kv: await this.get(key), exact: true };
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const at = opts.revision && opts.revision > 0 ? opts.revision : 0;
    if (at > 0 && at < this.compacted) throw new CompactedError(at, this.compacted);
    const first = prefix === '' ? ZERO : enc(prefix);
    const end = prefixEnd(enc(prefix));
    let start = first;
    if (opts.after !== undefined) {
      // Keys never contain NUL, so after + NUL is the smallest key strictly after `after`.
      const next = Buffer.concat([enc(opts.after), ZERO]);
      if (Buffer.compare(next, start) > 0) start = next;
    }
    const req: IRangeRequest = { key: start, range_end: end };
    if (opts.limit && opts.limit > 0) req.limit = opts.limit;
    if (at > 0) req.revision = at;
    const res: IRangeResponse = await this.snapshot(`range ${prefix}`, at, () => this.client.kv.range(req));
    const revision = at || Number(res.header.revision);
    // etcd counts the requested range, which `after` narrowed; the contract counts the whole prefix.
    let count = Number(res.count);
    if (opts.skipCount) return { kvs: res.kvs.map(toKv), more: res.more, revision };
    if (start !== first) {
      const counted = await this.snapshot(`range ${prefix}`, revision, () =>
        this.client.kv.range({ key: first, range_end: end, revision, count_only: true }),
      );
      count = Number(counted.count);
    }
    return { kvs: res.kvs.map(toKv), more: res.more, count, revision };
  }

  async create(key: string, value: string, opts: { lease?: number } = {}): Promise<TxnResult> {
    const k = enc(key);
    const lease = opts.lease ?? 0;
    const res = await this.call(`create ${key}`, () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: enc(value), lease: String(lease) } }],
        failure: [{ request_range: { key: k } }],
      }),
      true,
    );
    const revision = Number(res.header.revision);
    if (!res.succeeded) return { ok: false, revision, ...this.current(res) };
    const kv: KeyValue = { key, value, createRevision: revision, modRevision: revision, version: 1, lease };
    this.reads.wrote(kv);
    return { ok: true, revision, kv };
  }

  async createMany(entries: CreateEntry[]): Promise<TxnResult[]> {
    if (entries.length > MAX_CREATE_MANY) throw new Error(`createMany takes at most ${MAX_CREATE_MANY} entries (got ${entries.length})`);
    if (new Set(entries.map((e) => e.key)).size !== entries.length) throw new Error('createMany: a key is given twice');
    const results: Array<TxnResult | undefined> = entries.map(() => undefined);
    // One txn comparing every key's absence. If some exist, the failure branch reads them all: those found
    // are reported, and the txn is retried with the rest (which may meanwhile have been created too).
    let todo = entries.map((e, i) => ({ ...e, i, k: enc(e.key) }));
    while (todo.length > 0) {
      const batch = todo;
      const res = await this.call(`createMany (${batch.length} keys)`, () =>
        this.client.kv.txn({
          compare: batch.map((e) => ({ key: e.k, target: 'Create' as const, result: 'Equal' as const, create_revision: 0 })),
          success: batch.map((e) => ({ request_put: { key: e.k, value: enc(e.value), lease: String(e.lease ?? 0) } })),
          failure: batch.map((e) => ({ request_range: { key: e.k } })),
        }),
        true,
      );
      const revision = Number(res.header.revision);
      if (res.succeeded) {
        for (const e of batch) {
          const lease = e.lease ?? 0;
          results[e.i] = { ok: true, revision, kv: { key: e.key, value: e.value, createRevision: revision, modRevision: revision, version: 1, lease } };
        }
        break;
      }
      todo = [];
      batch.forEach((e, j) => {
        const kv = res.responses[j]?.response_range?.kvs[0];
        if (kv) results[e.i] = { ok: false, revision, current: toKv(kv) };
        else todo.push(e);
      });
    }
    return results as TxnResult[];
  }

  async update(key: string, value: string, expectedModRevision: number, opts: { lease?: number } = {}): Promise<TxnResult> {
    const k = enc(key);
    const lease = opts.lease ?? 0;
    const res = await this.call(`update ${key}`, () =>
      this.client.kv.txn({
        compare: [
          { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision },
          { key: k, target: 'Create', result: 'Greater', create_revision: 0 },
        ],
        success: [{ request_put: { key: k, value: enc(value), lease: String(lease), prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
      true,
    );
    const revision = Number(res.header.revision);
    if (!res.succeeded) return { ok: false, revision, ...this.current(res) };
    const prev = res.responses[0]?.response_put?.prev_kv;
    if (!prev) throw this.error(`update ${key}`, new Error('etcd returned no previous value for a successful update'));
    const kv: KeyValue = {
      key,
      value,
      createRevision: Number(prev.create_revision),
      modRevision: revision,
      version: Number(prev.version) + 1,
      lease,
    };
    this.reads.wrote(kv);
    return { ok: true, revision, kv };
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    const k = enc(key);
    const exists = { key: k, target: 'Create' as const, result: 'Greater' as const, create_revision: 0 };
    const compare =
      expectedModRevision === undefined
        ? [exists]
        : [{ key: k, target: 'Mod' as const, result: 'Equal' as const, mod_revision: expectedModRevision }, exists];
    const res = await this.call(`delete ${key}`, () =>
      this.client.kv.txn({
        compare,
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
      true,
    );
    const revision = Number(res.header.revision);
    if (!res.succeeded) return { ok: false, revision, ...this.current(res) };
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw this.error(`delete ${key}`, new Error('etcd returned no previous value for a successful delete'));
    return { ok: true, revision, prev: toKv(prev) };
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    if (this.closed) throw new Error(`etcd store (${this.where}) is closed`);
    const from = opts.fromRevision !== undefined && opts.fromRevision > 0 ? opts.fromRevision : undefined;
    let cancelled = false; // cancel() was called: no callbacks at all any more
    let ended = false; // the watch is over (cancelled or failed): no more events
    let attached = true; // the etcd3 Watcher is still registered with etcd3's WatchManager
    let next = from; // the first revision not yet delivered (as far as we know)

    const failWith = (err: Error): void => {
      if (!cancelled) opts.onError(err);
    };

    if (from !== undefined && from < this.compacted) {
      const known = this.compacted;
      queueMicrotask(() => failWith(new CompactedError(from, known)));
      return { cancel: () => void (cancelled = true) };
    }

    const builder = this.client.watch().prefix(prefix).withPreviousKV();
    if (from !== undefined) builder.startRevision(String(from));
    // watcher() (unlike create()) returns the Watcher at once, so our handlers are in place before etcd's
    // first response, and a watch on an unreachable etcd fails through 'disconnected' instead of hanging.
    const w = builder.watcher();
    const detach = async (): Promise<void> => {
      if (!attached) return;
      attached = false;
      await w.cancel().catch(() => undefined);
    };
    const active: ActiveWatch = {
      stop: () => {
        ended = true;
        return detach();
      },
    };
    this.watches.add(active);
    const finish = (): void => {
      ended = true;
      this.watches.delete(active);
    };

    w.on('connected', (res: IWatchResponse) => {
      next ??= Number(res.header.revision) + 1;
    });
    w.on('data', (res: IWatchResponse) => {
      if (ended) return;
      if (res.events.length === 0) {
        // A progress notification: everything up to header.revision has been delivered.
        const rev = Number(res.header.revision);
        if (next === undefined || rev + 1 > next) next = rev + 1;
        opts.onProgress?.(rev);
        return;
      }
      // One response may span several revisions (catch-up); deliver one batch per revision, in order.
      let batch: WatchEvent[] = [];
      let rev = 0;
      const flush = (): void => {
        next = rev + 1;
        opts.onEvents(batch);
        batch = [];
      };
      for (const ev of res.events) {
        const r = Number(ev.kv.mod_revision);
        if (batch.length > 0 && r !== rev) {
          flush();
          if (ended) return;
        }
        rev = r;
        batch.push(toEvent(ev));
      }
      flush();
    });
    // etcd cancelled the watch (in practice: its start revision was compacted). etcd3 has already dropped
    // the Watcher from its manager, so it must not be cancelled again.
    w.on('error', (err: Error) => {
      attached = false;
      if (ended) return;
      finish();
      const requested = next;
      void (async (): Promise<Error> => {
        if (requested !== undefined) {
          try {
            if (!(await this.readable(requested))) return new CompactedError(requested, await this.discoverCompacted(requested));
          } catch {
            // fall through to the original error
          }
        }
        return this.error(`watch ${prefix}`, err);
      })().then(failWith);
    });
    // The stream to etcd broke. Detach at once so etcd3 does not resubscribe on its own (see the header).
    w.on('disconnected', (err: Error) => {
      if (ended) return;
      finish();
      void detach();
      failWith(new Error(`etcd watch on "${prefix}" lost its connection to ${this.where}: ${message(err)}`, { cause: err }));
    });

    return {
      cancel: () => {
        cancelled = true;
        this.watches.delete(active);
        void active.stop();
      },
    };
  }

  async grantLease(ttlSeconds: number): Promise<number> {
    if (!(ttlSeconds > 0)) throw new Error('lease TTL must be positive');
    const ttl = Math.ceil(ttlSeconds);
    for (let attempt = 1; ; attempt++) {
      const id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
      try {
        const res = await this.call('grantLease', () => this.client.leaseClient.leaseGrant({ TTL: ttl, ID: String(id) }));
        return Number(res.ID);
      } catch (err) {
        if (attempt < 5 && message(err).includes('lease already exists')) continue;
        throw err;
      }
    }
  }

  async revokeLease(id: number): Promise<void> {
    await this.call(`revokeLease ${id}`, async () => {
      try {
        await this.client.leaseClient.leaseRevoke({ ID: String(id) });
      } catch (err) {
        // Already expired or revoked: its keys are gone, which is what the caller wants.
        if (!(err instanceof EtcdLeaseInvalidError)) throw err;
      }
    });
  }

  async compact(revision: number): Promise<void> {
    if (revision <= 0) return;
    await this.call(`compact ${revision}`, async () => {
      try {
        await this.client.kv.compact({ revision, physical: true });
      } catch (err) {
        // Already compacted at or beyond `revision`: there is nothing left to discard.
        if (!isCompactedError(err)) throw err;
      }
    });
    this.compacted = Math.max(this.compacted, revision);
  }

  currentRevision(): Promise<number> {
    return this.call('currentRevision', () => this.revisionNow());
  }

  compactedRevision(): Promise<number> {
    return this.call('compactedRevision', () => this.discoverCompacted());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reads.stop();
    const stops = [...this.watches].map((w) => w.stop());
    this.watches.clear();
    // Cancelling needs etcd's acknowledgement; do not hang on an unresponsive etcd.
    const timeout = delay(CLOSE_TIMEOUT_MS);
    await Promise.race([Promise.allSettled(stops), timeout.promise]);
    timeout.clear();
    this.client.close();
  }
}

/**
 * Connect to etcd and return a Store on it. Rejects (naming the endpoints) when etcd cannot be reached
 * within `dialTimeoutMs`.
 */
export async function createEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  if (opts.endpoints.length === 0) throw new Error('createEtcdStore: no etcd endpoints given');
  const dialTimeoutMs = opts.dialTimeoutMs ?? 5_000;
  const where = opts.endpoints.join(', ');
  const client = new Etcd3({
    hosts: opts.endpoints,
    grpcOptions: {
      // Like etcd's Go client: no receive limit (gRPC's 4 MiB default breaks big ranges and watch catch-ups,
      // which etcd batches up to 1000 revisions per response).
      'grpc.max_receive_message_length': 2 ** 31 - 1,
      // Notice a silently dead connection under a long-lived watch stream. etcd refuses pings more often
      // than every 5 s (--grpc-keepalive-min-time) and pings without an active stream.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
    // etcd3 retries a failed call 3 times by default, each with a fresh deadline: over a minute against an
    // etcd that no longer answers. Once is enough here: clients retry 503s themselves (Retry-After).
    faultHandling: { global: retry(handleWhen(isRecoverableError), { maxAttempts: 1 }) },
    defaultCallOptions: (ctx: CallContext) =>
      ctx.isStream || ctx.method === 'compact' ? {} : { deadline: Date.now() + REQUEST_TIMEOUT_MS },
  });
  const deadline = Date.now() + dialTimeoutMs;
  let firstError: unknown;
  for (;;) {
    try {
      await client.kv.range({ key: PROBE_KEY, count_only: true }, { deadline: Math.max(deadline, Date.now() + 1) });
      const store = new EtcdStore(client, opts.endpoints);
      await store.reads.start();
      return store;
    } catch (err) {
      // Keep the first real error: later attempts may only say that etcd3's circuit breaker is open.
      firstError ??= err;
      if (!isUnreachable(err) || Date.now() + 200 >= deadline) {
        client.close();
        const reason = message(isUnreachable(err) ? firstError : err);
        throw new Error(`cannot connect to etcd at ${where} within ${dialTimeoutMs} ms: ${reason}`, { cause: err });
      }
      await delay(200).promise;
    }
  }
}
