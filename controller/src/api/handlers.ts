// The Kubernetes verbs for every served resource: list, watch, get, create, update, patch, delete and
// deletecollection, plus the /status subresource. One generic implementation; the resource decides the rest.
import { isDeepStrictEqual } from 'node:util';
import { isDns1123Label, isDns1123Subdomain } from '@hyprbox/crds';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ParsedUrlQuery } from 'node:querystring';
import { admitCreate, admitUpdate, asObject, parseFieldValidation, readyToDelete, isoSeconds } from './admission.js';
import type { Obj } from './admission.js';
import { APPLY_PATCH, OBJECT_TYPES, PATCH_TYPES, mediaType, parseBody } from './body.js';
import { ownershipBase, recordUpdate, requestedManagedFields, serverSideApply } from './apply.js';
import { ApiError, badRequest, conflict, forbidden, methodNotAllowed, notFound, tooLargeResourceVersion } from './errors.js';
import type { ListResult, Repository } from './repository.js';
import { parseResourceVersion } from './repository.js';
import { applyPatch } from './patch.js';
import { deleteOptions } from './delete-options.js';
import type { DeleteOptions } from './delete-options.js';
import { finishIfEmpty, terminateNamespace } from './namespaces.js';
import type { Registry, Resource } from './resource.js';
import { querySelector } from './query-selector.js';
import { parseAccept, parseIncludeObject, toTable } from './table.js';
import type { AcceptResult, IncludeObject, TableApiVersion } from './table.js';
import type { WatchCache } from './watch-cache.js';
import { listFrame, streamList } from './list-stream.js';
import { serveWatch } from './watch.js';
import type { WatchView } from './watch.js';
import { sendBody } from './http.js';
import type { ApiRequest } from './http.js';
import type { RunLogs } from './runlog.js';
import type { NamespaceView } from './namespace-view.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface RequestAttributes {
  verb: Verb;
  resource: Resource;
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'log';
}

import { authorize } from '../auth/authz.js';
import type { Constraint, Grants, Principal } from '../auth/authz.js';
export type { Constraint };

/** The security decisions the verbs consult; see controller/src/auth/guard.ts. */
export interface Guard {
  /** Throws a 403 ApiError when the caller may not do this; may return a constraint on the objects. */
  authorize(req: ApiRequest, attrs: RequestAttributes): Constraint | undefined;
  /** Checks a write against the caller's own rights (escalation, ownership); throws 403/422. */
  admit(req: ApiRequest, attrs: RequestAttributes, current: Obj | undefined, next: Obj | undefined): void;
  /** Called on a parsed body before admission: server-generated content (a Token's name and secret). */
  beforeCreate(r: Resource, body: unknown): { afterAdmit(obj: Obj): void; decorate(stored: Obj): Obj } | undefined;
  /** Last step before an object is stored: server seals (a Run's signature). Returns what to store. */
  seal(r: Resource, next: Obj, current: Obj | undefined): Obj;
  /** After every successful write made through the API (`previous` and `req` for updates). */
  written(r: Resource, obj: Obj, deleted: boolean, previous?: Obj, req?: ApiRequest): void;
  /** Whether an object satisfies a constraint. */
  satisfies(obj: Obj, c: Constraint): boolean;
  /** The roles a user holds (undefined for agents). */
  grants(p: Principal): Grants | undefined;
}

export interface HandlerDeps {
  registry: Registry;
  repo(r: Resource): Repository;
  cache(r: Resource): WatchCache;
  guard: Guard;
  now(): Date;
  maxWatchBufferBytes: number;
  /** Where a failure after an answer began (a streamed list cut short) is reported. */
  log: Logger;
  /** Run logs, removed with their Run. */
  runLogs?: RunLogs;
  /** Namespaces known to be active (creates skip reading theirs from the store). */
  namespaces?: NamespaceView;
}

const isNamespace = (r: Resource): boolean => r.def.group === '' && r.def.kind === 'Namespace';

/** After an object leaves the store: a Terminating namespace may now be empty. */
async function afterDelete(deps: HandlerDeps, r: Resource, obj: Obj): Promise<void> {
  if (r.def.plural === 'runs' && r.def.group) await deps.runLogs?.remove(obj.metadata.namespace!, obj.metadata.name!);
  if (r.def.namespaced && obj.metadata.namespace) await finishIfEmpty(deps, obj.metadata.namespace);
}

export interface Target {
  resource: Resource;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

/** Splits `/namespaces/{ns}/{plural}/{name}/{sub}` or `/{plural}/{name}/{sub}` (relative to the group). */
function parsePath(registry: Registry, group: string, segments: string[]): Target | undefined {
  let namespace: string | undefined;
  let rest = segments;
  if (group !== '' || segments[0] !== 'namespaces' || segments.length > 3) {
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [plural, name, sub, ...extra] = rest;
  if (!plural || extra.length) return undefined;
  const resource = registry.byPlural(group, plural);
  if (!resource) return undefined;
  if (namespace !== undefined && !resource.def.namespaced) return undefined;
  if (sub !== undefined && sub !== 'status') return undefined;
  if (sub === 'status' && !resource.def.hasStatus) return undefined;
  return { resource, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(sub ? { subresource: 'status' as const } : {}) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function dryRun(query: ParsedUrlQuery): boolean {
  const v = query.dryRun;
  if (v === undefined) return false;
  if (v === 'All') return true;
  throw badRequest(`dryRun must be "All" (got "${String(v)}")`);
}

/** The fieldManager of a write, checked as Kubernetes checks it (at most 128 printable characters). */
function fieldManagerOf(query: ParsedUrlQuery): string | undefined {
  const m = str(query.fieldManager);
  if (m === undefined || m === '') return undefined;
  if (m.length > 128) throw new ApiError(422, 'Invalid', `fieldManager: Too long: may not be more than 128 bytes (got ${m.length})`, { causes: [{ reason: 'FieldValueTooLong', field: 'fieldManager', message: 'may not be more than 128 bytes' }] });
  if (!/^[\x20-\x7e]+$/.test(m)) throw new ApiError(422, 'Invalid', 'fieldManager: Invalid value: must only contain printable characters', { causes: [{ reason: 'FieldValueInvalid', field: 'fieldManager', message: 'must only contain printable characters' }] });
  return m;
}

function selectorFilter(r: Resource, query: ParsedUrlQuery, namespace: string | undefined): (obj: Obj) => boolean {
  const selected = querySelector(query, r.selectableFields);
  return (obj) => (namespace === undefined || obj.metadata.namespace === namespace) && selected(obj);
}

/** Parsed Accept headers: clients send the same few again and again (bounded; results are read-only). */
const accepts = new Map<string, AcceptResult>();
function acceptOf(req: ApiRequest): AcceptResult {
  const header = req.headers.accept ?? '';
  let a = accepts.get(header);
  if (!a) {
    a = parseAccept(header);
    if (accepts.size >= 100) accepts.delete(accepts.keys().next().value!);
    accepts.set(header, a);
  }
  return a;
}

/** Table options when the client asked for a Table (Accept as=Table), else undefined. */
function tableRequest(ctx: Ctx): { includeObject: IncludeObject; apiVersion: TableApiVersion } | undefined {
  const accept = acceptOf(ctx.req);
  if (!accept.table) return undefined;
  let fromQuery: IncludeObject | undefined;
  try {
    fromQuery = parseIncludeObject(ctx.query.includeObject);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return { includeObject: fromQuery ?? accept.includeObject ?? 'Metadata', apiVersion: accept.tableApiVersion ?? 'meta.k8s.io/v1' };
}

function send(ctx: Ctx, code: number, body: unknown, warnings?: string[]): void {
  sendBody(ctx.res, code, body, { yaml: acceptOf(ctx.req).yaml, ...(warnings ? { warnings } : {}) });
}

function sendObject(ctx: Ctx, code: number, obj: Obj, warnings?: string[]): void {
  const table = tableRequest(ctx);
  const partial = acceptOf(ctx.req).partial;
  send(ctx, code, table ? toTable(ctx.r.def, [obj], table) : partial ? partialMetadata(partial, obj) : obj, warnings);
}

/** An object as metadata only: what `as=PartialObjectMetadata` asks for. */
const partialMetadata = (apiVersion: string, obj: Obj): Obj => ({ apiVersion, kind: 'PartialObjectMetadata', metadata: obj.metadata }) as Obj;

/** Refuses, before any work, a request whose Accept header names nothing this server produces. */
function checkAcceptable(req: ApiRequest): void {
  if (acceptOf(req).acceptable) return;
  throw new ApiError(406, 'NotAcceptable', `none of the media types in the Accept header can be produced; supported: application/json, application/yaml (also as=Table, as=PartialObjectMetadata[List] of meta.k8s.io/v1)`);
}

/** Where the resource verbs live; any other path is not theirs. */
const PREFIXES: Array<[string, string]> = [['/apis/hyprbox.io/v1alpha1/', 'hyprbox.io'], ['/api/v1/', '']];

export interface ResourceHandler {
  /** The resource a path names, or undefined when it names none (discovery, OpenAPI, other routes). */
  resolve(path: string): Target | undefined;
  serve(req: ApiRequest, res: ServerResponse, target: Target, query: ParsedUrlQuery): Promise<void>;
}

export function createResourceHandler(deps: HandlerDeps): ResourceHandler {
  return {
    resolve(path) {
      const prefix = PREFIXES.find(([p]) => path.startsWith(p));
      if (!prefix) return undefined;
      const segments = path.slice(prefix[0].length).split('/').filter(Boolean).map((seg) => {
        try {
          return decodeURIComponent(seg);
        } catch {
          throw badRequest(`malformed percent-encoding in the URL segment ${JSON.stringify(seg)}`);
        }
      });
      return parsePath(deps.registry, prefix[1], segments);
    },

    async serve(req, res, target, query) {
      // Names in the URL become store keys: refuse anything that is not a valid name before going further.
      // Names in the URL become store keys: one that no object can have is not found, without asking the store
      // (as in Kubernetes, where such a GET is a 404 and kubectl apply goes on to create and get the 422).
      if (target.namespace !== undefined && !isDns1123Label(target.namespace)) throw notFound({ plural: 'namespaces', group: '', kind: 'Namespace' }, target.namespace);
      if (target.name !== undefined && !isDns1123Subdomain(target.name)) throw notFound(refOf(target.resource), target.name);
      const { resource: r, namespace, name, subresource } = target;
      const method = req.method ?? '';
      const verb = verbOf(method, name !== undefined, query.watch === '1' || query.watch === 'true');
      if (!verb || (subresource && verb !== 'get' && verb !== 'update' && verb !== 'patch')) {
        throw methodNotAllowed(`${method} is not supported on ${(req.url ?? '').split('?')[0]}`);
      }
      // The all-namespaces path of a namespaced kind lists and watches only (as in Kubernetes): a DELETE there
      // would empty the kind in every namespace.
      if (r.def.namespaced && namespace === undefined && (verb === 'create' || verb === 'deletecollection')) {
        throw methodNotAllowed(`${method} is not supported on ${(req.url ?? '').split('?')[0]}: ${r.def.plural} are namespaced; use /namespaces/{namespace}/${r.def.plural}`);
      }
      const attrs: RequestAttributes = { ...target, verb };
      req.attributes = attrs;
      checkAcceptable(req);
      const constraint = deps.guard.authorize(req, attrs);
      const ctx: Ctx = { deps, req, res, query, r, namespace, name: name ?? '', subresource, attrs, constraint, committed: false };
      switch (verb) {
        case 'list': return list(ctx);
        case 'watch': return watch(ctx);
        case 'get': return sendObject(ctx, 200, await readable(ctx));
        case 'create': return create(ctx);
        case 'update': return update(ctx);
        case 'patch': return patch(ctx);
        case 'delete': return remove(ctx);
        case 'deletecollection': return removeCollection(ctx);
      }
    },
  };
}

function verbOf(method: string, named: boolean, watching: boolean): Verb | undefined {
  switch (method) {
    case 'GET': return named ? 'get' : watching ? 'watch' : 'list';
    case 'POST': return named ? undefined : 'create';
    case 'PUT': return named ? 'update' : undefined;
    case 'PATCH': return named ? 'patch' : undefined;
    case 'DELETE': return named ? 'delete' : 'deletecollection';
    default: return undefined;
  }
}

interface Ctx {
  deps: HandlerDeps;
  req: ApiRequest;
  res: ServerResponse;
  query: ParsedUrlQuery;
  r: Resource;
  namespace: string | undefined;
  name: string;
  subresource: 'status' | undefined;
  attrs: RequestAttributes;
  constraint: Constraint | undefined;
  /** A write of this request reached the store (an attempt after that must not be retried). */
  committed: boolean;
}

const refOf = (r: Resource) => ({ plural: r.def.plural, group: r.def.group, kind: r.def.kind });

/** The current object, as far as the caller may see it: outside its constraint it does not exist. */
async function readable(ctx: Ctx): Promise<Obj> {
  const obj = await ctx.deps.repo(ctx.r).get(ctx.namespace, ctx.name);
  if (!obj || !visible(ctx, obj)) throw notFound(refOf(ctx.r), ctx.name);
  return obj;
}

const visible = (ctx: Ctx, obj: Obj): boolean => !ctx.constraint || ctx.deps.guard.satisfies(obj, { ...ctx.constraint, scannerOnly: false });

/**
 * The current object for an update or patch. Unless `fresh` is asked for, on etcd it is the store's copy for
 * writes, which may be stale (`exact` false): the write's compare then fails, commitUpdate refuses to call it
 * a no-op, and the caller tries once more with `fresh`. A copy that would end the request (absent, or outside
 * the caller's constraint) is read again at once.
 */
async function writable(ctx: Ctx, fresh: boolean): Promise<{ current: Obj; exact: boolean }> {
  if (!fresh) {
    const { obj, exact } = await ctx.deps.repo(ctx.r).getForWrite(ctx.namespace, ctx.name);
    if (obj && visible(ctx, obj)) return { current: obj, exact };
    if (exact) throw notFound(refOf(ctx.r), ctx.name);
  }
  return { current: await readable(ctx), exact: true };
}

/** Whether an attempt that started from a copy that may be stale failed before writing, and so may run again. */
const staleAttempt = (ctx: Ctx, exact: boolean, err: unknown): boolean => !exact && !ctx.committed && err instanceof ApiError;

/** Security checks on a write: the constraint on the result, then escalation and ownership. */
function admitWrite(ctx: Ctx, current: Obj | undefined, next: Obj | undefined): void {
  try {
    checkWrite(ctx, current, next);
  } catch (err) {
    // Refused for what an existing object holds (someone else's token), to a caller who may not read it: a
    // 403 here and a 404 for a name that is free would tell which names exist. As Kubernetes hides what a
    // caller may not see, it does not exist for them.
    if (current && forbids(err) && !mayRead(ctx) && refusesAsItIs(ctx, current)) throw notFound(refOf(ctx.r), ctx.name);
    throw err;
  }
}

function checkWrite(ctx: Ctx, current: Obj | undefined, next: Obj | undefined): void {
  // The constraint holds for what is there as much as for what is written: an agent may not turn someone
  // else's finding into its own scanner finding by rewriting its source.
  for (const obj of [current, next]) {
    if (ctx.constraint && obj && !ctx.deps.guard.satisfies(obj, ctx.constraint)) {
      throw forbidden(ctx.req.user?.name ?? '', ctx.attrs.verb, ctx.r.def.plural, ctx.r.def.group, ctx.namespace);
    }
  }
  ctx.deps.guard.admit(ctx.req, ctx.attrs, current, next);
}

const forbids = (err: unknown): boolean => err instanceof ApiError && err.code === 403;

/** Whether the object as it is, whatever the change, is out of the caller's reach. */
function refusesAsItIs(ctx: Ctx, current: Obj): boolean {
  try {
    checkWrite(ctx, current, undefined);
    return false;
  } catch (err) {
    return forbids(err);
  }
}

/** Whether the caller may get this object by its name (the same decision a GET would meet). */
function mayRead(ctx: Ctx): boolean {
  const p = ctx.req.user;
  if (!p) return false;
  const { def } = ctx.r;
  const ns = ctx.namespace;
  return authorize(p, ctx.deps.guard.grants(p), { verb: 'get', resource: def.plural, namespaced: def.namespaced, ...(ns !== undefined ? { namespace: ns } : {}), name: ctx.name }).allowed;
}

function constrained(ctx: Ctx, filter: (obj: Obj) => boolean): (obj: Obj) => boolean {
  return readableFilter(ctx.deps.guard, ctx.constraint, filter);
}

/** A list or watch filter that also hides what the caller's constraint puts out of its sight. */
export function readableFilter(guard: Guard, c: Constraint | undefined, filter: (obj: Obj) => boolean): (obj: Obj) => boolean {
  return c ? (obj) => filter(obj) && guard.satisfies(obj, { ...c, scannerOnly: false }) : filter;
}

/**
 * The resourceVersion semantics of a list, as in Kubernetes: none or "0" reads the current state; N with
 * resourceVersionMatch=Exact reads the state at N (410 once compacted); N alone or with NotOlderThan reads a
 * state at least as new as N (504 ResourceVersionTooLarge when the store has not reached N).
 */
export function listPosition(query: ParsedUrlQuery): { exact?: number; notOlderThan?: number } {
  const match = str(query.resourceVersionMatch);
  const rvGiven = str(query.resourceVersion) !== undefined && str(query.resourceVersion) !== '';
  if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match !== undefined && !rvGiven) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (rvGiven && str(query.continue)) throw badRequest('specifying resourceVersion is not allowed when using continue');
  const rv = parseResourceVersion(query.resourceVersion) ?? 0;
  if (match === 'Exact') {
    if (rv === 0) throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    return { exact: rv };
  }
  return rv > 0 ? { notOlderThan: rv } : {};
}

/** A list that read an older state than the client asked for must not be answered. */
export function checkNotOlderThan(pos: { notOlderThan?: number }, resourceVersion: string): void {
  if (pos.notOlderThan !== undefined && Number(resourceVersion) < pos.notOlderThan) {
    throw tooLargeResourceVersion(pos.notOlderThan, Number(resourceVersion));
  }
}

async function list(ctx: Ctx): Promise<void> {
  const { deps, query, r, namespace } = ctx;
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw badRequest(`invalid limit "${String(query.limit)}"`);
  const pos = listPosition(query);
  const repo = deps.repo(r);
  const filter = constrained(ctx, selectorFilter(r, query, namespace));
  // A limit above MAX_LIST_PAGE gets that many and a continue token (Kubernetes lets a server return fewer
  // than the limit); no limit is streamed a page at a time (list-stream.ts). Either way one request holds at
  // most a page, whatever the size of the kind.
  const result = await repo.list({
    namespace,
    limit: limit ? Math.min(limit, MAX_LIST_PAGE) : STATE_PAGE,
    ...(str(query.continue) ? { continueToken: str(query.continue)! } : {}),
    ...(pos.exact !== undefined ? { revision: pos.exact } : {}),
    filter,
  });
  checkNotOlderThan(pos, result.resourceVersion);
  const streamed = !limit && result.continueToken !== undefined;
  const metadata = { resourceVersion: result.resourceVersion, ...(result.continueToken && !streamed ? { continue: result.continueToken } : {}) };
  const table = tableRequest(ctx);
  const partial = acceptOf(ctx.req).partial;
  const body = (items: Obj[]): object => {
    if (table) return toTable(r.def, items, { ...table, listMeta: metadata });
    if (partial) return { apiVersion: partial, kind: 'PartialObjectMetadataList', metadata, items: items.map((o) => partialMetadata(partial, o)) };
    return { apiVersion: r.apiVersion, kind: r.def.listKind, metadata, items };
  };
  if (!streamed) {
    send(ctx, 200, body(result.items));
    return;
  }
  // Every page's items are what body() puts in its last field: items, or a Table's rows.
  const field = table ? 'rows' : 'items';
  const frame = listFrame(body([]) as Record<string, unknown>, field, (page) => (body(page) as Record<string, unknown[]>)[field]!, acceptOf(ctx.req).yaml);
  const pages = statePages(repo, namespace, filter, result);
  await streamList(ctx.res, frame, pages, (err) => deps.log.warn({ err, resource: r.def.plural }, 'a streamed list was cut short'));
}

function watch(ctx: Ctx): Promise<void> {
  const { deps, req, res, query, r, namespace } = ctx;
  const table = tableRequest(ctx);
  const partial = acceptOf(req).partial;
  const view = partial ? { apiVersion: partial, kind: 'PartialObjectMetadata', map: (o: Obj) => partialMetadata(partial, o) } : undefined;
  return watchResource(deps, req, res, r, { namespace, query, matches: constrained(ctx, selectorFilter(r, query, namespace)), ...(table ? { table } : {}), ...(view ? { view } : {}) });
}

/** A client watch of one resource: the current state first when no resourceVersion is given, then changes. */
export async function watchResource(
  deps: HandlerDeps,
  req: ApiRequest,
  res: ServerResponse,
  r: Resource,
  o: {
    namespace: string | undefined;
    query: ParsedUrlQuery;
    matches: (obj: Obj) => boolean;
    table?: { includeObject: IncludeObject; apiVersion: TableApiVersion };
    view?: WatchView;
  },
): Promise<void> {
  const { query, namespace, matches } = o;
  const rv = parseResourceVersion(query.resourceVersion) ?? 0;
  const bookmarks = query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1';
  const sendInitial = watchListMode(query, bookmarks);
  const timeout = watchTimeout(query.timeoutSeconds);
  const cache = deps.cache(r);
  const store = deps.repo(r).store;
  if (rv > cache.latest) {
    // A position the cache has not seen may just be newer than its last event; one the store has not
    // reached is refused, as Kubernetes does, rather than silently dropping everything up to it.
    const current = await store.currentRevision();
    if (rv > current) throw tooLargeResourceVersion(rv, current);
  }
  let initial: AsyncIterator<Obj[]> | undefined;
  let from = rv;
  if (sendInitial === true || (sendInitial === undefined && rv === 0)) {
    // The current state as ADDED events, then what happens after it. The first page is read here, so that
    // its revision is where live events start and a store failure is still an HTTP error.
    const repo = deps.repo(r);
    const first = await repo.list({ namespace, filter: matches, limit: STATE_PAGE });
    initial = statePages(repo, namespace, matches, first);
    from = Number(first.resourceVersion);
  } else if (rv === 0) {
    from = await store.currentRevision();
  }
  serveWatch(req, res, {
    cache,
    ...(o.view ? { view: o.view } : {}),
    ...(initial ? { initial } : {}),
    initialEventsEnd: sendInitial === true,
    fromRevision: from,
    matches,
    table: o.table ?? false,
    bookmarks,
    timeoutSeconds: timeout,
    maxBufferedBytes: deps.maxWatchBufferBytes,
  });
}

/** Objects a watch's current state and an unlimited list are read by: what one request holds at a time. */
const STATE_PAGE = 100;
/** The most objects one list answer holds. */
const MAX_LIST_PAGE = 500;

/** The pages of a list from `first` on, every one at the revision of the first (continue tokens carry it). */
async function* statePages(repo: Repository, namespace: string | undefined, filter: (obj: Obj) => boolean, first: ListResult): AsyncGenerator<Obj[]> {
  yield first.items;
  for (let token = first.continueToken; token; ) {
    const page = await repo.list({ namespace, filter, limit: STATE_PAGE, continueToken: token });
    yield page.items;
    token = page.continueToken;
  }
}

/**
 * sendInitialEvents (the WatchList protocol): true sends the current state, then a bookmark marking its end;
 * false sends only changes. As in Kubernetes it needs resourceVersionMatch=NotOlderThan and bookmarks, and
 * resourceVersionMatch means nothing on a watch without it.
 */
function watchListMode(query: ParsedUrlQuery, bookmarks: boolean): boolean | undefined {
  const v = str(query.sendInitialEvents);
  const match = str(query.resourceVersionMatch);
  if (v === undefined) {
    if (match !== undefined) throw badRequest('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    return undefined;
  }
  if (v !== 'true' && v !== 'false') throw badRequest(`invalid sendInitialEvents "${v}": must be true or false`);
  if (match !== 'NotOlderThan') throw badRequest('sendInitialEvents requires resourceVersionMatch=NotOlderThan');
  if (!bookmarks) throw badRequest('sendInitialEvents requires allowWatchBookmarks=true');
  return v === 'true';
}

/** Seconds until the server ends the watch: as asked, or like kube-apiserver 30-60 min, so clients reconnect. */
function watchTimeout(v: unknown): number {
  const n = v === undefined ? 0 : Number(v);
  if (v !== undefined && (typeof v !== 'string' || v === '' || !Number.isSafeInteger(n) || n < 0)) throw badRequest(`invalid timeoutSeconds "${String(v)}": must be a whole number of seconds`);
  return n > 0 ? n : Math.round(1800 * (1 + Math.random()));
}

async function requireNamespace(deps: HandlerDeps, r: Resource, namespace: string | undefined): Promise<void> {
  if (!r.def.namespaced || deps.namespaces?.isActive(namespace!)) return;
  const ns = await deps.repo(deps.registry.namespaces).get(undefined, namespace!);
  if (!ns) throw notFound({ plural: 'namespaces', group: '', kind: 'Namespace' }, namespace!);
  if (ns.metadata.deletionTimestamp) {
    throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
  }
}

async function create(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, namespace, subresource } = ctx;
  if (subresource) throw methodNotAllowed('create is not supported on a subresource');
  const body = parseBody(req.body, req.headers['content-type'], OBJECT_TYPES);
  const hooks = deps.guard.beforeCreate(r, body);
  const { obj, warnings } = admitCreate(r, body, { namespace, fieldValidation: parseFieldValidation(query.fieldValidation), now: deps.now() });
  hooks?.afterAdmit(obj);
  if (isNamespace(r)) obj.status = { phase: 'Active' };
  recordUpdate(undefined, obj, fieldManagerOf(query), r.apiVersion, isoSeconds(deps.now()));
  admitWrite(ctx, undefined, obj);
  await requireNamespace(deps, r, namespace);
  const decorate = hooks?.decorate ?? ((o: Obj) => o);
  const repo = deps.repo(r);
  const sealed = deps.guard.seal(r, obj, undefined);
  if (dryRun(query)) {
    if (await repo.get(namespace, obj.metadata.name!)) {
      throw new ApiError(409, 'AlreadyExists', `${r.def.plural}${r.def.group ? '.' + r.def.group : ''} "${obj.metadata.name}" already exists`);
    }
    return sendObject(ctx, 201, decorate(sealed), warnings);
  }
  const stored = await repo.create(sealed);
  deps.guard.written(r, stored, false);
  sendObject(ctx, 201, decorate(stored), warnings);
}

/** Stores an admitted update (or the final delete once the last finalizer is gone). */
async function commitUpdate(ctx: Ctx, current: Obj, next: Obj, isDry: boolean, exact: boolean): Promise<Obj> {
  const { deps, r, req } = ctx;
  const expected = Number(current.metadata.resourceVersion);
  // Like Kubernetes, an update that changes nothing writes nothing: no new revision, no watch event. Only a
  // current object can say so: a copy that may be stale sends the caller to read again (staleAttempt).
  if (isDeepStrictEqual(next, current)) {
    if (!exact) throw conflict(refOf(r), ctx.name, 'the object has been modified; please apply your changes to the latest version and try again');
    return current;
  }
  next = deps.guard.seal(r, next, current);
  if (isDry) return next;
  const repo = deps.repo(r);
  if (readyToDelete(next)) {
    const gone = await repo.delete(current, expected);
    ctx.committed = true;
    deps.guard.written(r, gone, true);
    await afterDelete(deps, r, gone);
    return next;
  }
  const stored = await repo.update(next, expected);
  ctx.committed = true;
  deps.guard.written(r, stored, false, current, req);
  return stored;
}

async function update(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, name, subresource } = ctx;
  const isDry = dryRun(query);
  for (let attempt = 0; ; attempt++) {
    // Parsed for every attempt: admission prunes and defaults the body in place.
    const body = parseBody(req.body, req.headers['content-type'], OBJECT_TYPES);
    const { current, exact } = await writable(ctx, isDry || attempt > 0);
    try {
      const requested = requestedManagedFields(refOf(r), name, (body as { metadata?: { managedFields?: unknown } } | null)?.metadata?.managedFields, current);
      const { obj, warnings } = admitUpdate(r, current, body, {
        fieldValidation: parseFieldValidation(query.fieldValidation),
        requireResourceVersion: true,
        ...(subresource ? { subresource } : {}),
      });
      recordUpdate(ownershipBase(current, requested), obj, fieldManagerOf(query), r.apiVersion, isoSeconds(deps.now()), subresource);
      admitWrite(ctx, current, obj);
      if (obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(refOf(r), name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      return sendObject(ctx, 200, await commitUpdate(ctx, current, obj, isDry, exact), warnings);
    } catch (err) {
      if (staleAttempt(ctx, exact, err)) continue;
      throw err;
    }
  }
}

const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/**
 * kubectl sends built-in kinds (Namespace) strategic merge patches for apply, edit, label and patch. For a
 * Namespace (maps of labels and annotations, a list of finalizers) one without directives means what a JSON
 * merge patch means; custom kinds get 415, as in Kubernetes.
 */
function patchTypeOf(r: Resource, type: string): string {
  return type === STRATEGIC_MERGE_PATCH && !isNamespace(r) ? '' : type;
}

/** A strategic merge patch read as a JSON merge patch; its directives ($patch, $setElementOrder/...) are refused. */
function strategicAsMergePatch(body: unknown): unknown {
  const find = (v: unknown, path: string): string | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$')) return path ? `${path}.${k}` : k;
      const inner = find(x, path ? `${path}.${k}` : k);
      if (inner) return inner;
    }
    return undefined;
  };
  const directive = find(body, '');
  if (directive) throw new ApiError(415, 'UnsupportedMediaType', `strategic merge patch directive ${directive} is not supported; use kubectl apply --server-side, or a JSON merge patch (--type merge)`);
  return body;
}

async function patch(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, name, subresource } = ctx;
  const type = patchTypeOf(r, mediaType(req.headers['content-type']));
  const patchTypes = type === STRATEGIC_MERGE_PATCH ? [STRATEGIC_MERGE_PATCH] : PATCH_TYPES;
  let body = parseBody(req.body, req.headers['content-type'], patchTypes);
  if (type === APPLY_PATCH) return apply(ctx, body);
  if (type === STRATEGIC_MERGE_PATCH) body = strategicAsMergePatch(body);
  const isDry = dryRun(query);
  // A patch without a resourceVersion applies to whatever is current: retry when someone wrote in between.
  for (let attempt = 0; ; attempt++) {
    // Parsed again for every further attempt: the patched object shares parts of the patch, which admission
    // prunes and defaults in place.
    if (attempt > 0) body = parseBody(req.body, req.headers['content-type'], patchTypes);
    const { current, exact } = await writable(ctx, isDry || attempt > 0);
    let pinned: string | undefined;
    try {
      const patched = applyPatch(type === STRATEGIC_MERGE_PATCH ? 'application/merge-patch+json' : type, current, body) as Obj;
      // A patch that removes metadata or the name ({"metadata": null}) would otherwise strip labels,
      // annotations and finalizers as if that were meant: Kubernetes refuses it as a name mismatch.
      const patchedName = (patched.metadata as { name?: unknown } | null | undefined)?.name;
      if (patchedName !== name) throw badRequest(`the name of the object (${String(patchedName ?? '')}) does not match the name on the URL (${name})`);
      pinned = (patched.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (pinned !== undefined && pinned !== current.metadata.resourceVersion) {
        throw conflict(refOf(r), name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const requested = requestedManagedFields(refOf(r), name, patched.metadata.managedFields, current);
      const { obj, warnings } = admitUpdate(r, current, patched, {
        fieldValidation: parseFieldValidation(query.fieldValidation),
        requireResourceVersion: false,
        ...(subresource ? { subresource } : {}),
      });
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      recordUpdate(ownershipBase(current, requested), obj, fieldManagerOf(query), r.apiVersion, isoSeconds(deps.now()), subresource);
      admitWrite(ctx, current, obj);
      return sendObject(ctx, 200, await commitUpdate(ctx, current, obj, isDry, exact), warnings);
    } catch (err) {
      if (staleAttempt(ctx, exact, err)) continue;
      if (err instanceof ApiError && err.code === 409 && pinned === undefined && !ctx.committed && attempt < 5) continue;
      throw err;
    }
  }
}

/** Server-side apply: create or merge the applied configuration, owned by `fieldManager`. */
async function apply(ctx: Ctx, body: unknown): Promise<void> {
  const { deps, query, r, namespace, name, subresource } = ctx;
  const manager = fieldManagerOf(query);
  if (!manager) throw badRequest('PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
  const applied = asObject(r, body);
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
  }
  // A resourceVersion in the applied configuration is a precondition, as for an update.
  const pinned = applied.metadata.resourceVersion === undefined || applied.metadata.resourceVersion === '' ? undefined : String(applied.metadata.resourceVersion);
  applied.metadata.name = name;
  const force = query.force === 'true';
  const fieldValidation = parseFieldValidation(query.fieldValidation);
  const isDry = dryRun(query);
  for (let attempt = 0; ; attempt++) {
    const found = await deps.repo(r).get(namespace, name);
    const current = found && ctx.constraint && !deps.guard.satisfies(found, { ...ctx.constraint, scannerOnly: false }) ? undefined : found;
    if (found && !current) throw notFound(refOf(r), name);
    const now = isoSeconds(deps.now());
    if (!current) {
      if (subresource || pinned !== undefined) throw notFound(refOf(r), name);
      const merged = serverSideApply({ live: undefined, applied, manager, force, apiVersion: r.apiVersion, now });
      const hooks = deps.guard.beforeCreate(r, merged);
      const { obj, warnings } = admitCreate(r, merged, { namespace, fieldValidation, now: deps.now() });
      hooks?.afterAdmit(obj);
      obj.metadata.managedFields = merged.metadata.managedFields;
      if (isNamespace(r)) obj.status = { phase: 'Active' };
      admitWrite(ctx, undefined, obj);
      await requireNamespace(deps, r, namespace);
      const decorate = hooks?.decorate ?? ((o: Obj) => o);
      const sealed = deps.guard.seal(r, obj, undefined);
      if (isDry) return sendObject(ctx, 201, decorate(sealed), warnings);
      try {
        const stored = await deps.repo(r).create(sealed);
        deps.guard.written(r, stored, false);
        return sendObject(ctx, 201, decorate(stored), warnings);
      } catch (err) {
        if (err instanceof ApiError && err.code === 409 && attempt < 5) continue;
        throw err;
      }
    }
    if (pinned !== undefined && pinned !== current.metadata.resourceVersion) {
      throw conflict(refOf(r), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const merged = serverSideApply({ live: current, applied, manager, force, apiVersion: r.apiVersion, now, ...(subresource ? { subresource } : {}) });
    const { obj, warnings } = admitUpdate(r, current, merged, { fieldValidation, requireResourceVersion: false, ...(subresource ? { subresource } : {}) });
    obj.metadata.managedFields = merged.metadata.managedFields;
    obj.metadata.resourceVersion = current.metadata.resourceVersion;
    admitWrite(ctx, current, obj);
    try {
      return sendObject(ctx, 200, await commitUpdate(ctx, current, obj, isDry, true), warnings);
    } catch (err) {
      if (err instanceof ApiError && err.code === 409 && err.reason === 'Conflict' && attempt < 5 && !err.details?.causes) continue;
      throw err;
    }
  }
}

/** Deletes one object, or marks it when finalizers hold it. Answered 200 either way, as kube-apiserver does
 * (202 only for the deprecated orphanDependents=false). */
async function deleteOne(deps: HandlerDeps, r: Resource, current: Obj, isDry: boolean, pre: DeleteOptions['preconditions']): Promise<Obj> {
  const ref = { plural: r.def.plural, group: r.def.group, kind: r.def.kind };
  const name = current.metadata.name!;
  if (pre.uid && pre.uid !== current.metadata.uid) {
    throw conflict(ref, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(ref, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
  }
  const repo = deps.repo(r);
  const expected = Number(current.metadata.resourceVersion);
  if ((current.metadata.finalizers ?? []).length > 0) {
    // Finalizers hold the object: mark it and let their owners finish.
    if (current.metadata.deletionTimestamp) return current;
    const marked = structuredClone(current);
    marked.metadata.deletionTimestamp = isoSeconds(deps.now());
    marked.metadata.deletionGracePeriodSeconds = 0;
    if (isDry) return marked;
    const stored = await repo.update(marked, expected);
    deps.guard.written(r, stored, false);
    return stored;
  }
  if (isDry) return current;
  if (isNamespace(r)) {
    deps.namespaces?.forget(name);
    return terminateNamespace({ ...deps, deleteObject: async (res, obj) => void (await deleteOne(deps, res, obj, false, {})) }, current);
  }
  const gone = await repo.delete(current, expected);
  deps.guard.written(r, gone, true);
  await afterDelete(deps, r, gone);
  return gone;
}

function deleteOptionsOf(req: ApiRequest, query: ParsedUrlQuery): DeleteOptions {
  const raw = req.body !== undefined && Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
  return deleteOptions(raw && parseBody(raw, req.headers['content-type'] ?? 'application/json', OBJECT_TYPES), query);
}

async function remove(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, name } = ctx;
  if (isNamespace(r) && name === 'default') {
    throw new ApiError(403, 'Forbidden', 'namespaces "default" is forbidden: this namespace may not be deleted');
  }
  // Options first: a body that cannot be read deletes nothing.
  const opts = deleteOptionsOf(req, query);
  const current = await readable(ctx);
  admitWrite(ctx, current, undefined);
  sendObject(ctx, 200, await deleteOne(deps, r, current, opts.dryRun, opts.preconditions));
}

async function removeCollection(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, namespace } = ctx;
  const opts = deleteOptionsOf(req, query);
  const { items, resourceVersion } = await deps.repo(r).list({ namespace, filter: constrained(ctx, selectorFilter(r, query, namespace)) });
  const deleted: Obj[] = [];
  for (const current of items) {
    try {
      admitWrite(ctx, current, undefined);
      deleted.push(await deleteOne(deps, r, current, opts.dryRun, opts.preconditions));
    } catch (err) {
      // Gone or changed since the list: not ours to delete any more.
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
  send(ctx, 200, { apiVersion: r.apiVersion, kind: r.def.listKind, metadata: { resourceVersion }, items: deleted });
}
