// One store watch per resource, fanned out to every client watch. Recent events are kept in a bounded ring
// so a client can resume from a resourceVersion it listed at; older ones get 410 Expired and relist.
// Each event is decoded, serialised and encoded once, whatever the number of watchers.
import type { Logger } from 'pino';
import { CompactedError } from '../store/types.js';
import type { Store, Watch, WatchEvent } from '../store/types.js';
import type { Obj } from './admission.js';
import { expired } from './errors.js';
import { decode } from './repository.js';
import type { Resource } from './resource.js';

export interface CachedEvent {
  revision: number;
  /** The object after the event (for a delete: its last state, with the delete's revision). */
  obj: Obj;
  /** The object before the event, if it existed. */
  prev?: Obj;
  deleted: boolean;
  /** JSON of `obj`, computed once on first use. */
  json?: string;
  /** The whole watch line per event type, encoded once and shared by every watcher's socket. */
  lines?: Partial<Record<WatchEventType, Buffer>>;
  /** For watchers the change took out of their selection: the state they last matched, at this revision. */
  left?: CachedEvent;
  /** What it weighs in the ring: the stored JSON of the object and of its previous state. */
  size?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface Subscriber {
  /** Deliver events with a revision above this one. */
  fromRevision: number;
  matches(obj: Obj): boolean;
  send(type: WatchEventType, ev: CachedEvent): void;
  /** The cache lost continuity (or is stopping): the subscriber must end its watch. */
  close(reason: 'expired' | 'stopping'): void;
  bookmarks: boolean;
  bookmark(revision: number): void;
}

export interface WatchCacheOptions {
  /** Events kept for resuming watches (default 10,000). */
  capacity?: number;
  /**
   * And at most this much of them, counted as their stored JSON (default 32 MiB): a count alone lets a kind
   * of large objects (1 MiB statuses) hold gigabytes. Whichever limit is reached first evicts the oldest.
   */
  maxBytes?: number;
  bookmarkIntervalMs?: number;
  log: Logger;
}

export class WatchCache {
  /** Held events, oldest first, from index `oldest` (evicted ones are cleared and skipped until compacted). */
  private ring: CachedEvent[] = [];
  private oldest = 0;
  private bytes = 0;
  private subs = new Set<Subscriber>();
  private storeWatch: Watch | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Store watch failures in a row (an outage): logged on the first and every 30th, not every second. */
  private failures = 0;
  /** Every event after this revision is in the ring (or none happened). */
  private floor = 0;
  /** The newest revision this cache has seen. */
  latest = 0;
  private readonly capacity: number;
  private readonly maxBytes: number;

  constructor(
    readonly resource: Resource,
    private readonly store: Store,
    private readonly opts: WatchCacheOptions,
  ) {
    this.capacity = opts.capacity ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
  }

  async start(): Promise<void> {
    const rev = await this.store.currentRevision();
    this.floor = rev;
    this.latest = rev;
    this.watchFrom(rev + 1);
    const every = this.opts.bookmarkIntervalMs ?? 30_000;
    this.bookmarkTimer = setInterval(() => {
      for (const s of this.subs) if (s.bookmarks) s.bookmark(this.latest);
    }, every);
    this.bookmarkTimer.unref();
  }

  private watchFrom(from: number): void {
    this.storeWatch = this.store.watch(this.resource.prefix, {
      fromRevision: from,
      onEvents: (events) => {
        this.failures = 0;
        this.onEvents(events);
      },
      onProgress: (rev) => {
        this.failures = 0;
        if (rev > this.latest) this.latest = rev;
      },
      onError: (err) => {
        if (this.stopped) return;
        if (err instanceof CompactedError) {
          // Events were lost: nobody can resume from the ring any more.
          this.opts.log.warn({ resource: this.resource.def.plural, err: err.message }, 'watch cache fell behind compaction; watchers must relist');
          this.resetUntilDone();
        } else {
          if (this.failures++ % 30 === 0) this.opts.log.error({ resource: this.resource.def.plural, err: err.message, failures: this.failures }, 'store watch failed; retrying every second');
          const retry = setTimeout(() => {
            if (!this.stopped) this.watchFrom(this.latest + 1);
          }, 1000);
          retry.unref();
        }
      },
    });
  }

  /** reset(), tried again every second while the store cannot say its revision. */
  private resetUntilDone(): void {
    this.reset().catch((err: unknown) => {
      this.opts.log.error({ resource: this.resource.def.plural, err: (err as Error).message }, 'watch cache reset failed; retrying');
      if (!this.stopped) setTimeout(() => this.resetUntilDone(), 1000).unref();
    });
  }

  private async reset(): Promise<void> {
    this.storeWatch?.cancel();
    this.ring = [];
    this.oldest = 0;
    this.bytes = 0;
    for (const s of this.subs) s.close('expired');
    this.subs.clear();
    const rev = await this.store.currentRevision();
    this.floor = rev;
    this.latest = rev;
    if (!this.stopped) this.watchFrom(rev + 1);
  }

  /** The JSON size of the events held (what maxBytes bounds). */
  get heldBytes(): number {
    return this.bytes;
  }

  private push(ev: CachedEvent): void {
    this.ring.push(ev);
    this.bytes += ev.size ?? 0;
    // The newest event always stays, whatever it weighs.
    while (this.ring.length - this.oldest > this.capacity || (this.bytes > this.maxBytes && this.ring.length - this.oldest > 1)) {
      const old = this.ring[this.oldest]!;
      this.floor = old.revision;
      this.bytes -= old.size ?? 0;
      this.ring[this.oldest++] = undefined as unknown as CachedEvent;
    }
    if (this.oldest > 1024 && this.oldest * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.oldest);
      this.oldest = 0;
    }
  }

  private onEvents(events: WatchEvent[]): void {
    for (const e of events) {
      const deleted = e.type === 'delete';
      const ev: CachedEvent = {
        revision: e.kv.modRevision,
        obj: decode(e.kv),
        deleted,
        ...(e.prev ? { prev: decode(e.prev) } : {}),
        size: e.kv.value.length + (e.prev?.value.length ?? 0),
      };
      if (ev.revision > this.latest) this.latest = ev.revision;
      this.push(ev);
      for (const s of this.subs) deliver(s, ev);
    }
  }

  /** Events after `revision`, oldest first; throws 410 when they are no longer all held. */
  private since(revision: number): CachedEvent[] {
    if (revision < this.floor) {
      throw expired(`too old resource version: ${revision} (${this.floor})`);
    }
    let lo = this.oldest;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ring[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.ring.slice(lo);
  }

  /** Replays what the subscriber missed, then delivers live events until it unsubscribes. */
  subscribe(s: Subscriber): () => void {
    if (this.stopped) throw expired('the server is shutting down');
    for (const ev of this.since(s.fromRevision)) deliver(s, ev);
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  /** Stopped: the server is shutting down, and no watch may start. */
  get isStopped(): boolean {
    return this.stopped;
  }

  get watchers(): number {
    return this.subs.size;
  }

  stop(): void {
    this.stopped = true;
    this.storeWatch?.cancel();
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const s of this.subs) s.close('stopping');
    this.subs.clear();
  }
}

/** Maps one change onto what this subscriber sees, given its selector: an object leaving the selection is
 * DELETED for it, one entering is ADDED. */
function deliver(s: Subscriber, ev: CachedEvent): void {
  if (ev.revision <= s.fromRevision) return;
  const now = !ev.deleted && s.matches(ev.obj);
  const before = ev.prev !== undefined && s.matches(ev.prev);
  if (ev.deleted) {
    if (before || (ev.prev === undefined && s.matches(ev.obj))) s.send('DELETED', ev);
  } else if (now) {
    s.send(before ? 'MODIFIED' : 'ADDED', ev);
  } else if (before) {
    // As in Kubernetes: the object the watcher knew (it matched), at the revision it stopped matching.
    ev.left ??= { revision: ev.revision, obj: { ...ev.prev!, metadata: { ...ev.prev!.metadata, resourceVersion: String(ev.revision) } }, deleted: true };
    s.send('DELETED', ev.left);
  }
}

export function eventJson(ev: CachedEvent): string {
  ev.json ??= JSON.stringify(ev.obj);
  return ev.json;
}

/** The line `{"type":...,"object":...}\n` of an event, encoded on first use and then shared. */
export function eventLine(ev: CachedEvent, type: WatchEventType): Buffer {
  const lines = (ev.lines ??= {});
  return (lines[type] ??= Buffer.from(`{"type":"${type}","object":${eventJson(ev)}}\n`));
}
