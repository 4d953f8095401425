// Which namespaces are active (exist and are not terminating), kept current by the namespaces watch cache,
// so that a create does not read its namespace from the store (on etcd one of a POST's round trips). Only a
// positive answer is trusted: a namespace not known active is read from the store as before (404 or 403).
// Another controller's termination reaches this view with the watch, so for that long a create may still be
// admitted, as in Kubernetes' namespace lifecycle admission; this controller's own terminations forget the
// namespace before they start.
import type { Obj } from './admission.js';
import type { Repository } from './repository.js';
import type { Subscriber, WatchCache } from './watch-cache.js';

export class NamespaceView {
  private readonly active = new Set<string>();
  /** Being terminated by this controller: older events still in the watch must not make them active again. */
  private readonly terminating = new Set<string>();
  private started = false;

  constructor(
    private readonly cache: WatchCache,
    private readonly repo: Repository,
  ) {}

  /** Lists the namespaces, then follows the cache from the list's revision; again when the cache resets. */
  async start(): Promise<void> {
    this.started = false;
    this.active.clear();
    const { items, resourceVersion } = await this.repo.list({ namespace: undefined });
    for (const ns of items) this.note(ns, false);
    const sub: Subscriber = {
      fromRevision: Number(resourceVersion),
      matches: () => true,
      send: (type, ev) => this.note(ev.obj, type === 'DELETED'),
      bookmarks: false,
      bookmark: () => undefined,
      close: (reason) => {
        this.started = false;
        if (reason === 'expired') void this.start().catch(() => undefined);
      },
    };
    this.cache.subscribe(sub);
    this.started = true;
  }

  private note(ns: Obj, deleted: boolean): void {
    const name = ns.metadata.name!;
    if (deleted) this.terminating.delete(name);
    if (deleted || ns.metadata.deletionTimestamp) this.active.delete(name);
    else if (!this.terminating.has(name)) this.active.add(name);
  }

  /** True only when the namespace is known to exist and not to be terminating. */
  isActive(name: string): boolean {
    return this.started && this.active.has(name);
  }

  /** Called before this controller starts terminating a namespace. */
  forget(name: string): void {
    this.terminating.add(name);
    this.active.delete(name);
  }
}
