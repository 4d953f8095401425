// The TUI's live state: every view's objects, kept current by one list+watch per kind (no polling), the
// connection state for the header and the banner, and each node's recent metrics for the sparklines.
import { setTimeout as wait } from 'node:timers/promises';
import type { Client, Obj } from '../lib/client.js';
import { getObjects } from '../lib/get.js';
import type { Resources } from '../lib/resources.js';
import { collectionPath } from '../lib/resources.js';
import { watch } from '../lib/watch.js';
import type { WatchEvent } from '../lib/watch.js';
import { VIEWS, VIEW_IDS } from './views.js';
import type { MetricHistory, ViewId } from './views.js';

export type Connection = 'connecting' | 'live' | 'lost';

/** What the store watches: every view's kind, and the nodes' heartbeat Leases. */
export type Kind = ViewId | 'leases';
const KINDS: Kind[] = [...VIEW_IDS, 'leases'];
const pluralOf = (k: Kind): string => (k === 'leases' ? 'leases' : VIEWS[k].plural);

/** How many metric samples a node keeps (the widest sparkline). */
const HISTORY = 60;

export class LiveStore {
  private objects = new Map<Kind, Map<string, Obj>>(KINDS.map((v) => [v, new Map()]));
  private histories = new Map<string, MetricHistory & { rv?: string }>();
  private listeners = new Set<() => void>();
  private down = new Map<Kind, string>();
  private started = new Set<Kind>();
  private stoppers: AbortController[] = [];
  /** Bumped on every change; React reads it to know when to render. */
  version = 0;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  get connection(): Connection {
    if (this.down.size) return 'lost';
    return this.started.size === KINDS.length ? 'live' : 'connecting';
  }

  /** Why the connection is down (the first failing watch's error). */
  get lostReason(): string | undefined {
    return [...this.down.values()][0];
  }

  list(view: Kind): Obj[] {
    return [...this.objects.get(view)!.values()];
  }

  get(view: Kind, name: string): Obj | undefined {
    return this.objects.get(view)!.get(name);
  }

  history = (node: string): MetricHistory | undefined => this.histories.get(node);

  /** Applies one watch event (also what a list does per item). */
  apply(view: Kind, ev: Pick<WatchEvent, 'type' | 'object'>): void {
    const name = ev.object.metadata.name ?? '';
    if (ev.type === 'DELETED') {
      this.objects.get(view)!.delete(name);
      if (view === 'nodes') this.histories.delete(name);
    } else {
      this.objects.get(view)!.set(name, ev.object);
      if (view === 'nodes') this.sample(ev.object);
    }
    this.changed();
  }

  /** A relist replaces everything the view had. */
  replace(view: Kind, items: Obj[]): void {
    this.objects.set(view, new Map(items.map((o) => [o.metadata.name ?? '', o])));
    if (view === 'nodes') for (const o of items) this.sample(o);
    this.changed();
  }

  private sample(o: Obj): void {
    const m = (o.status as { metrics?: { cpuPercent?: number; memoryPercent?: number; diskPercent?: number } } | undefined)?.metrics;
    const name = o.metadata.name ?? '';
    if (!m) return;
    const h = this.histories.get(name) ?? { cpu: [], memory: [], disk: [] };
    // A relist brings the same object again: one sample per version of the node.
    if (h.rv === o.metadata.resourceVersion) return;
    h.rv = o.metadata.resourceVersion;
    const push = (a: number[], v: number | undefined): void => void (v !== undefined && a.push(v) > HISTORY && a.shift());
    push(h.cpu, m.cpuPercent);
    push(h.memory, m.memoryPercent);
    push(h.disk, m.diskPercent);
    this.histories.set(name, h);
  }

  private setDown(view: Kind, err: Error | undefined): void {
    const was = this.connection;
    if (err) this.down.set(view, err.message);
    else {
      this.down.delete(view);
      this.started.add(view);
    }
    if (was !== this.connection || err) this.changed();
  }

  /** Lists and watches every view's kind in `namespace` until stop(); a new call replaces the old watches. */
  start(client: Client, resources: Resources, namespace: string): void {
    this.stop();
    this.down.clear();
    this.started.clear();
    // One signal per watch: each reconnect hangs an abort listener on it.
    this.stoppers = KINDS.map(() => new AbortController());
    KINDS.forEach((v, i) => {
      this.objects.set(v, new Map());
      void this.follow(client, resources, namespace, v, this.stoppers[i]!.signal);
    });
    this.changed();
  }

  stop(): void {
    for (const s of this.stoppers) s.abort();
  }

  private async follow(client: Client, resources: Resources, namespace: string, view: Kind, signal: AbortSignal): Promise<void> {
    const resource = resources.resolve(pluralOf(view));
    let delay = 500;
    while (!signal.aborted) {
      try {
        const { items, resourceVersion } = await getObjects(client, { resource, namespace, names: [] });
        if (signal.aborted) return;
        this.replace(view, items);
        this.setDown(view, undefined);
        delay = 500;
        const events = watch(client, collectionPath(resource, namespace), {
          signal,
          ...(resourceVersion ? { resourceVersion } : {}),
          onDisconnect: (err) => this.setDown(view, err),
          onReconnect: () => this.setDown(view, undefined),
          // After 410 Gone the watch restarts with an ADDED event per live object: forget what we had, so
          // objects deleted during the gap leave the screen.
          onRelist: () => this.replace(view, []),
        });
        for await (const ev of events) this.apply(view, ev);
        return;
      } catch (err) {
        // A failed list (controller down, or refused): show it and try again, backing off.
        if (signal.aborted) return;
        this.setDown(view, err as Error);
        await wait(delay, undefined, { signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }
}
