// Objects of one resource over the Store: JSON in, JSON out, resourceVersion = the store's modRevision
// (never stored inside the value, so it cannot disagree with the store).
import { CompactedError, FutureRevisionError } from '../store/types.js';
import type { KeyValue, Store } from '../store/types.js';
import type { Obj } from './admission.js';
import { alreadyExists, badRequest, conflict, expired, notFound, tooLargeResourceVersion } from './errors.js';
import { listPrefix, objectKey } from './resource.js';
import type { Resource } from './resource.js';

export function decode(kv: KeyValue, revision = kv.modRevision): Obj {
  const obj = JSON.parse(kv.value) as Obj;
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

export function encode(obj: Obj): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

export function parseResourceVersion(rv: unknown, field = 'resourceVersion'): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`invalid ${field} "${String(rv)}": must be a non-negative integer`);
  return n;
}

interface ContinueToken {
  v: 1;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv, start: lastKey } satisfies ContinueToken)).toString('base64url');
}

function decodeContinue(token: string, prefix: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v === 1 && Number.isSafeInteger(t.rv) && typeof t.start === 'string' && t.start.startsWith(prefix)) return t;
  } catch {
    // fall through to the error below
  }
  throw badRequest('invalid continue token: it was not issued for this list');
}

/**
 * A limited page also ends once its objects reach this many bytes (stored JSON), with a continue token as for
 * `limit`: counted in objects only, a page of 500 objects of 1 MiB each held 500 MB for one request.
 */
const PAGE_BYTES = 4 * 1024 * 1024;
const FIRST_READ = 16;

export interface ListOptions {
  namespace: string | undefined;
  /** At most this many objects (and at most PAGE_BYTES of them, and at least one); 0 or absent: all. */
  limit?: number;
  continueToken?: string;
  /** Keeps only objects for which it returns true (label and field selectors). */
  filter?: (obj: Obj) => boolean;
  /** Read the state at exactly this revision (resourceVersionMatch=Exact) instead of the current one. */
  revision?: number;
}

export interface ListResult {
  items: Obj[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export class Repository {
  constructor(
    readonly resource: Resource,
    readonly store: Store,
  ) {}

  private ref() {
    const d = this.resource.def;
    return { plural: d.plural, group: d.group, kind: d.kind };
  }

  key(namespace: string | undefined, name: string): string {
    return objectKey(this.resource, namespace, name);
  }

  async get(namespace: string | undefined, name: string): Promise<Obj | undefined> {
    const kv = await this.store.get(this.key(namespace, name));
    return kv ? decode(kv) : undefined;
  }

  /** The object an update or patch starts from; see Store.getForWrite (it may be stale where `exact` is false). */
  async getForWrite(namespace: string | undefined, name: string): Promise<{ obj: Obj | undefined; exact: boolean }> {
    const { kv, exact } = await this.store.getForWrite(this.key(namespace, name));
    return { obj: kv ? decode(kv) : undefined, exact };
  }

  async mustGet(namespace: string | undefined, name: string): Promise<Obj> {
    const obj = await this.get(namespace, name);
    if (!obj) throw notFound(this.ref(), name);
    return obj;
  }

  /** Lists at one snapshot: every page of a continued list reads the revision of the first page. */
  async list(o: ListOptions): Promise<ListResult> {
    const prefix = listPrefix(this.resource, o.namespace);
    const token = o.continueToken ? decodeContinue(o.continueToken, prefix) : undefined;
    const limit = o.limit && o.limit > 0 ? o.limit : 0;
    const items: Obj[] = [];
    let after = token?.start;
    let revision = token?.rv ?? o.revision ?? 0;
    let lastKey: string | undefined;
    let bytes = 0;
    const read = { count: 0, bytes: 0 };
    let more: boolean;
    // With a filter, a page of the store can hold fewer matches than `limit`: read on until it is full.
    for (;;) {
      const want = limit ? this.readAhead(Math.max(limit - items.length, o.filter ? 100 : 0), bytes, read) : 0;
      let page;
      try {
        page = await this.store.range(prefix, { limit: want, after, revision, skipCount: true });
      } catch (err) {
        if (err instanceof CompactedError) {
          throw expired(token
            ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
            : `The resourceVersion for the provided list is too old (revision ${err.requested}; history kept from ${err.compactRevision}).`);
        }
        if (err instanceof FutureRevisionError) {
          if (token) throw badRequest('invalid continue token: it names a revision this store has not reached');
          throw tooLargeResourceVersion(err.requested, err.current);
        }
        throw err;
      }
      revision = page.revision;
      let i = 0;
      const full = (): boolean => limit > 0 && (items.length >= limit || bytes >= PAGE_BYTES);
      for (; i < page.kvs.length && !full(); i++) {
        const kv = page.kvs[i]!;
        lastKey = kv.key;
        read.count++;
        read.bytes += kv.value.length;
        const obj = decode(kv);
        if (!o.filter || o.filter(obj)) {
          items.push(obj);
          bytes += kv.value.length;
        }
      }
      more = i < page.kvs.length || page.more;
      if (!more || full()) break;
      after = lastKey;
      // A selective filter can read far past `limit`: let other requests run between the store's pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result: ListResult = { items, resourceVersion: String(revision) };
    if (more && lastKey !== undefined) {
      result.continueToken = encodeContinue(revision, lastKey);
    }
    return result;
  }

  /**
   * How many keys to read from the store next: the store's page is held whole, so it too is kept near what is
   * left of PAGE_BYTES, by the size of the objects read so far (a few first, as they may be large).
   */
  private readAhead(wanted: number, taken: number, read: { count: number; bytes: number }): number {
    if (read.count === 0) return Math.min(wanted, FIRST_READ);
    const fit = Math.ceil((PAGE_BYTES - taken) / Math.max(1, read.bytes / read.count));
    return Math.max(1, Math.min(wanted, fit));
  }

  async create(obj: Obj, opts: { lease?: number } = {}): Promise<Obj> {
    const r = await this.store.create(this.key(obj.metadata.namespace, obj.metadata.name!), encode(obj), opts);
    if (!r.ok) throw alreadyExists(this.ref(), obj.metadata.name!);
    return decode(r.kv);
  }

  /** Writes `obj` if the stored object still has `expectedRv`; 409 otherwise. */
  async update(obj: Obj, expectedRv: number): Promise<Obj> {
    const name = obj.metadata.name!;
    const r = await this.store.update(this.key(obj.metadata.namespace, name), encode(obj), expectedRv);
    if (!r.ok) {
      if (!r.current) throw notFound(this.ref(), name);
      throw conflict(this.ref(), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return decode(r.kv);
  }

  /** Deletes the object if it still has `expectedRv`; returns it with the delete's revision. */
  async delete(obj: Obj, expectedRv: number): Promise<Obj> {
    const name = obj.metadata.name!;
    const r = await this.store.delete(this.key(obj.metadata.namespace, name), expectedRv);
    if (!r.ok) {
      if (!r.current) throw notFound(this.ref(), name);
      throw conflict(this.ref(), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return decode(r.prev, r.revision);
  }
}
