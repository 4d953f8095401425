// List, then watch from the list's resourceVersion, with client-node's Watch; relist on 410 Gone, resume
// after the server ends a watch, and retry any failure with capped backoff. It does what client-node's
// informer does for the agent's two watches (its Runs, its own Node) without loading that informer, whose
// module pulls in client-node's whole generated client (see kube.ts).
import { Backoff, sleep } from './backoff.js';
import type { Kube } from './kube.js';

interface Obj {
  metadata?: { name?: string; resourceVersion?: string };
}

export interface ListWatchHandlers<T> {
  /** An object was added or changed (from the list or the watch). */
  onChange(obj: T): void;
  /** Before every (re)list or resumed watch: a chance to look again at what is known. */
  onConnect?(): void;
  /** A failed list or watch; it is retried with backoff after this. */
  onError(err: unknown): void;
}

/** The server ends each watch after this long and it is resumed: a silently dead connection is noticed. */
const WATCH_SECONDS = 300;

export class ListWatch<T extends Obj> {
  private objects = new Map<string, T>();
  private resourceVersion = '';
  private request: AbortController | undefined;
  /** Counts watches: the end of one we replaced or aborted ourselves is not a failure. */
  private generation = 0;
  private stopped = false;
  private watchedAt = 0;
  private readonly backoff = new Backoff(500, 30_000);
  private readonly abort = new AbortController();

  constructor(
    private readonly kube: Kube,
    private readonly path: string,
    private readonly listFn: () => Promise<{ items: T[]; resourceVersion: string }>,
    private readonly h: ListWatchHandlers<T>,
  ) {}

  /** What is known now. */
  list(): T[] {
    return [...this.objects.values()];
  }

  /** Resolves once the first list and watch are up (retrying failures meanwhile), or at stop. */
  async start(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connect();
        return;
      } catch (err) {
        await this.failed(err);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.request?.abort();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.request?.abort();
    this.h.onConnect?.();
    if (!this.resourceVersion) {
      const { items, resourceVersion } = await this.listFn();
      const before = this.objects;
      this.objects = new Map(items.map((o) => [o.metadata?.name ?? '', o]));
      for (const o of items) if (before.get(o.metadata?.name ?? '')?.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.h.onChange(o);
      this.resourceVersion = resourceVersion;
    }
    if (this.stopped) return;
    const done = (err: unknown): void => {
      if (generation === this.generation) void this.ended(err);
    };
    this.watchedAt = Date.now();
    this.request = await this.kube.watch().watch(this.path, { resourceVersion: this.resourceVersion, timeoutSeconds: WATCH_SECONDS }, (type, obj) => this.event(type, obj as T & { code?: number }), done);
  }

  private event(type: string, obj: T & { code?: number }): void {
    if (type === 'ERROR') {
      // 410 Gone: the resourceVersion is too old; the server ends the watch and the next connect relists.
      if (obj.code === 410) this.resourceVersion = '';
      return;
    }
    const name = obj.metadata?.name ?? '';
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.objects.set(name, obj);
      this.h.onChange(obj);
    } else if (type === 'DELETED') {
      this.objects.delete(name);
    }
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
  }

  /** The watch ended: resume (relist after a 410), or after an error wait, then reconnect. */
  private async ended(err: unknown): Promise<void> {
    if (this.stopped) return;
    // A watch that lasted is a success: the next failure starts the backoff afresh.
    const lasted = Date.now() - this.watchedAt >= 1000;
    if (lasted) this.backoff.reset();
    const code = (err as { statusCode?: number; code?: number } | null)?.statusCode ?? (err as { code?: number } | null)?.code;
    if (code === 410) this.resourceVersion = '';
    else if (err) await this.failed(err);
    // A server that ends every watch at once must not be asked again in a tight loop.
    else if (!lasted) await sleep(this.backoff.next(), this.abort.signal);
    await this.start();
  }

  private async failed(err: unknown): Promise<void> {
    if (this.stopped) return;
    this.h.onError(err);
    // After a failure the stream may have missed events: relist.
    this.resourceVersion = '';
    await sleep(this.backoff.next(), this.abort.signal);
  }
}
