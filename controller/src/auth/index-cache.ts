// In-memory copies of the objects every request's authentication and authorization read (tokens, users, role
// bindings, node uids, presets), fed by store watches so a request never waits on the store for them. Writes made
// through this controller are applied at once (apply()), so a revoked token is refused on its next request;
// another controller's writes arrive with its watch.
import type { Logger } from 'pino';
import type { RoleBinding, Token, User } from '@hyprbox/crds';
import type { Store, Watch } from '../store/types.js';
import type { Obj } from '../api/admission.js';
import { decode } from '../api/repository.js';

const PREFIXES = {
  tokens: '/registry/hyprbox.io/tokens/',
  users: '/registry/hyprbox.io/users/',
  rolebindings: '/registry/hyprbox.io/rolebindings/',
  nodes: '/registry/hyprbox.io/nodes/',
  presets: '/registry/hyprbox.io/presets/',
} as const;
type Kind = keyof typeof PREFIXES;
const MAX_TOMBSTONES = 10_000;

export class AuthIndex {
  readonly tokens = new Map<string, Token>();
  readonly users = new Map<string, User>();
  readonly bindings = new Map<string, RoleBinding>();
  /** `namespace/name` → uid of every Node. */
  readonly nodeUids = new Map<string, string>();
  /** Presets by name (their params schema and secret params are checked on every profile and run write). */
  readonly presets = new Map<string, Obj>();
  /** Last revision applied per kind/name, so a late watch event never undoes a newer direct apply. */
  private readonly revs = new Map<string, number>();
  /** Ids in `revs` of deleted objects, oldest first. */
  private readonly tombstones = new Set<string>();
  private watches: Watch[] = [];
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const kind of Object.keys(PREFIXES) as Kind[]) await this.load(kind);
  }

  private async load(kind: Kind): Promise<void> {
    const page = await this.store.range(PREFIXES[kind]);
    this.clear(kind);
    for (const kv of page.kvs) this.apply(kind, decode(kv), false);
    const w = this.store.watch(PREFIXES[kind], {
      fromRevision: page.revision + 1,
      onEvents: (events) => {
        for (const e of events) this.apply(kind, decode(e.kv), e.type === 'delete');
      },
      onError: (err) => {
        if (this.stopped) return;
        this.log.warn({ kind, err: err.message }, 'auth index watch ended; reloading');
        setTimeout(() => void this.load(kind).catch((e: unknown) => this.log.error({ kind, err: (e as Error).message }, 'auth index reload failed')), 500).unref();
      },
    });
    this.watches.push(w);
  }

  private clear(kind: Kind): void {
    ({ tokens: this.tokens, users: this.users, rolebindings: this.bindings, nodes: this.nodeUids, presets: this.presets })[kind].clear();
  }

  /** Records one object (or its deletion) of a kind this index keeps; other kinds are ignored. */
  apply(kind: string, obj: Obj, deleted: boolean): void {
    if (!Object.hasOwn(PREFIXES, kind)) return;
    const name = obj.metadata.name!;
    const id = `${kind}/${obj.metadata.namespace ?? ''}/${name}`;
    const rev = Number(obj.metadata.resourceVersion ?? 0);
    if ((this.revs.get(id) ?? 0) > rev) return;
    // A deleted object's revision is kept too (a late event must not bring it back), but only for the last
    // MAX_TOMBSTONES deletions: objects come and go for the life of the process.
    this.revs.set(id, rev);
    if (deleted) {
      this.tombstones.delete(id);
      this.tombstones.add(id);
      if (this.tombstones.size > MAX_TOMBSTONES) {
        const oldest = this.tombstones.values().next().value!;
        this.tombstones.delete(oldest);
        this.revs.delete(oldest);
      }
    } else this.tombstones.delete(id);
    switch (kind) {
      case 'tokens':
        if (deleted) this.tokens.delete(name);
        else this.tokens.set(name, obj as unknown as Token);
        break;
      case 'users':
        if (deleted) this.users.delete(name);
        else this.users.set(name, obj as unknown as User);
        break;
      case 'rolebindings':
        if (deleted) this.bindings.delete(name);
        else this.bindings.set(name, obj as unknown as RoleBinding);
        break;
      case 'presets':
        if (deleted) this.presets.delete(name);
        else this.presets.set(name, obj);
        break;
      case 'nodes': {
        const key = `${obj.metadata.namespace}/${name}`;
        if (deleted) {
          if (this.nodeUids.get(key) === obj.metadata.uid) this.nodeUids.delete(key);
        } else this.nodeUids.set(key, obj.metadata.uid!);
        break;
      }
    }
  }

  /** Objects whose revision is remembered (the index's own bookkeeping; bounded, see apply()). */
  get tracked(): number {
    return this.revs.size;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.cancel();
    this.watches = [];
  }
}
