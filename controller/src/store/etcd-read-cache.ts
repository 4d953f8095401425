// Consistent single-key reads on etcd without a range request per read, after Kubernetes' "consistent reads
// from cache": one watch on the whole keyspace keeps a bounded set of recently read keys current. A read
// of a cached key first learns etcd's current revision R (one small request, shared by every read that
// arrived before it was sent), then waits until the watch has delivered everything up to R, and answers from
// the cache: it reflects every write acknowledged before the read began, as a range would. A key not
// cached is read from etcd (and cached). Every revision is a write to some key, so the keyspace watch always
// reaches R; if it does not within a bound, or the watch broke, the read goes to etcd.
import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import type { KeyValue } from './types.js';

/** Keys kept; past this the oldest read goes. */
const MAX_KEYS = 10_000;
/** How long a read waits for the watch to catch up before it reads etcd instead. */
const CATCH_UP_MS = 2_000;
/** Revision requests on their way at once. */
const MAX_REVISION_REQUESTS = 4;
/** After the keyspace watch broke, how long until it is opened again. */
const RETRY_MS = 1_000;

interface Waiter {
  revision: number;
  resolve(reached: boolean): void;
}

export class EtcdReadCache {
  private readonly kvs = new Map<string, KeyValue>();
  /** Everything up to this revision has been applied (0: the watch is not running, nothing is trusted). */
  private seen = 0;
  private waiters: Waiter[] = [];
  private watcher: Watcher | undefined;
  private stopped = false;
  /** Reads waiting for the next revision request, and how many requests are on their way. */
  private revisionQueue: Array<{ resolve(rev: number): void; reject(err: unknown): void }> = [];
  private revisionsInFlight = 0;

  constructor(
    private readonly client: Etcd3,
    /** etcd's current revision (a count-only range). */
    private readonly revisionNow: () => Promise<number>,
  ) {}

  async start(): Promise<void> {
    const from = (await this.revisionNow()) + 1;
    if (this.stopped) return;
    const w = this.client.watch().prefix('').startRevision(String(from)).watcher();
    this.watcher = w;
    const broke = (): void => {
      if (this.watcher !== w) return;
      this.reset();
      void w.cancel().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.start().catch(() => this.reset()), RETRY_MS).unref();
    };
    w.on('data', (res: IWatchResponse) => this.apply(res));
    w.on('error', broke);
    w.on('disconnected', broke);
    this.seen = from - 1;
  }

  private apply(res: IWatchResponse): void {
    if (this.seen === 0) return;
    let rev = this.seen;
    for (const ev of res.events) {
      const key = ev.kv.key.toString('utf8');
      const modRevision = Number(ev.kv.mod_revision);
      rev = Math.max(rev, modRevision);
      const cached = this.kvs.get(key);
      if (!cached || cached.modRevision >= modRevision) continue;
      if (ev.type === 'Delete') this.kvs.delete(key);
      else {
        this.kvs.set(key, {
          key,
          value: ev.kv.value.toString('utf8'),
          createRevision: Number(ev.kv.create_revision),
          modRevision,
          version: Number(ev.kv.version),
          lease: Number(ev.kv.lease),
        });
      }
    }
    // A progress notification: every event up to its revision has been sent.
    if (res.events.length === 0) rev = Math.max(rev, Number(res.header.revision));
    this.seen = rev;
    if (this.waiters.length && this.waiters.some((x) => x.revision <= rev)) {
      const done = this.waiters.filter((x) => x.revision <= rev);
      this.waiters = this.waiters.filter((x) => x.revision > rev);
      for (const x of done) x.resolve(true);
    }
  }

  /** Forgets everything (the watch broke: events may be missing); waiting reads go to etcd. */
  private reset(): void {
    this.seen = 0;
    this.kvs.clear();
    const waiting = this.waiters;
    this.waiters = [];
    for (const x of waiting) x.resolve(false);
  }

  /**
   * The current revision, from a request sent after this call. Callers share requests: a few may be on
   * their way at once (so a read seldom waits two round trips); past that, reads queue for the next one.
   */
  private freshRevision(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.revisionQueue.push({ resolve, reject });
      if (this.revisionsInFlight < MAX_REVISION_REQUESTS) this.requestRevision();
    });
  }

  private requestRevision(): void {
    const batch = this.revisionQueue;
    this.revisionQueue = [];
    this.revisionsInFlight++;
    this.revisionNow().then(
      (rev) => batch.forEach((b) => b.resolve(rev)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    ).finally(() => {
      this.revisionsInFlight--;
      if (this.revisionQueue.length) this.requestRevision();
    });
  }

  private reached(revision: number): Promise<boolean> {
    if (this.seen === 0) return Promise.resolve(false);
    if (this.seen >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { revision, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        resolve(false);
      }, CATCH_UP_MS).unref();
    });
  }

  /**
   * The key's current value; `read` asks etcd directly (value and the revision it was read at) and is used
   * for keys not cached, and whenever the cache cannot be trusted.
   */
  async get(key: string, read: () => Promise<{ kv: KeyValue | undefined; revision: number }>): Promise<KeyValue | undefined> {
    if (this.seen > 0 && this.kvs.has(key)) {
      const rev = await this.freshRevision();
      if (await this.reached(rev)) {
        const kv = this.kvs.get(key);
        if (kv) return { ...kv };
      }
    }
    const { kv, revision } = await read();
    // Cache it only if the watch has not yet gone past the read: every later change then still arrives.
    if (kv && this.seen > 0 && revision >= this.seen) this.remember({ ...kv });
    return kv;
  }

  /**
   * The cached value without waiting for the watch: it may be stale, so it is only for a write that compares
   * its modRevision (see Store.getForWrite). Undefined when the key is not cached or the cache is not trusted.
   */
  peek(key: string): KeyValue | undefined {
    const kv = this.seen > 0 ? this.kvs.get(key) : undefined;
    return kv ? { ...kv } : undefined;
  }

  /**
   * A write this client made, known before the watch brings it back, so that the writer's next update of the
   * key starts from it (Kubernetes' update-from-cache would start from the older copy and fail its compare).
   * Kept only when the watch has not yet passed its revision: every later change of the key still arrives.
   */
  wrote(kv: KeyValue): void {
    if (this.seen === 0 || kv.modRevision <= this.seen) return;
    const cached = this.kvs.get(kv.key);
    if (cached && cached.modRevision >= kv.modRevision) return;
    this.remember({ ...kv });
  }

  private remember(kv: KeyValue): void {
    this.kvs.delete(kv.key);
    if (this.kvs.size >= MAX_KEYS) this.kvs.delete(this.kvs.keys().next().value!);
    this.kvs.set(kv.key, kv);
  }

  stop(): void {
    this.stopped = true;
    const w = this.watcher;
    this.watcher = undefined;
    this.reset();
    void w?.cancel().catch(() => undefined);
  }
}
