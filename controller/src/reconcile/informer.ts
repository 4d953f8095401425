// A server-side informer: lists a resource, then follows it from the list's revision through the API
// server's own watch cache (no extra store watch); when the cache loses continuity it lists again. Keeps a
// local copy that reconcilers read (they never act on an event's payload).
import type { Logger } from 'pino';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Subscriber, WatchCache } from '../api/watch-cache.js';

export type Handler = (obj: Obj, event: 'added' | 'modified' | 'deleted', previous?: Obj) => void;

export const keyOf = (obj: Obj): string => (obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!);

export class Informer {
  readonly store = new Map<string, Obj>();
  private readonly handlers: Handler[] = [];
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly repo: Repository,
    private readonly cache: WatchCache,
    private readonly log: Logger,
  ) {}

  on(h: Handler): void {
    this.handlers.push(h);
  }

  list(namespace?: string): Obj[] {
    return [...this.store.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  get(key: string): Obj | undefined {
    return this.store.get(key);
  }

  async start(): Promise<void> {
    const { items, resourceVersion } = await this.repo.list({ namespace: undefined });
    const seen = new Set<string>();
    for (const obj of items) {
      const k = keyOf(obj);
      seen.add(k);
      const prev = this.store.get(k);
      this.store.set(k, obj);
      if (!prev) this.emit(obj, 'added');
      else if (prev.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit(obj, 'modified', prev);
    }
    // Objects that went away while we were not following.
    for (const [k, obj] of this.store) {
      if (!seen.has(k)) {
        this.store.delete(k);
        this.emit(obj, 'deleted');
      }
    }
    const sub: Subscriber = {
      fromRevision: Number(resourceVersion),
      matches: () => true,
      bookmarks: false,
      bookmark: () => undefined,
      send: (type, ev) => {
        const k = keyOf(ev.obj);
        const prev = this.store.get(k);
        if (type === 'DELETED') {
          this.store.delete(k);
          this.emit(ev.obj, 'deleted', prev);
        } else {
          this.store.set(k, ev.obj);
          this.emit(ev.obj, prev ? 'modified' : 'added', prev);
        }
      },
      close: (reason) => {
        if (this.stopped || reason === 'stopping') return;
        this.log.warn({ resource: this.repo.resource.def.plural }, 'informer lost its watch; relisting');
        void this.start().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'informer relist failed'));
      },
    };
    this.unsubscribe = this.cache.subscribe(sub);
  }

  private emit(obj: Obj, event: 'added' | 'modified' | 'deleted', prev?: Obj): void {
    for (const h of this.handlers) {
      try {
        h(obj, event, prev);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'informer handler failed');
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}
