// The Kubernetes verbs for every served resource: list, watch, get, create, update, patch, delete and
// deletecollection, plus the /status subresource. One generic implementation; the resource decides the rest.
import { isDeepStrictEqual } from 'node:util';
import { isDns1123Label, isDns1123Subdomain } from '@hyprbox/crds';
import type { ServerResponse } from 'node:http';
import type { ParsedUrlQuery } from 'node:querystring';
import { admitCreate, admitUpdate, asObject, parseFieldValidation, readyToDelete, isoSeconds } from './admission.js';
import type { Obj } from './admission.js';
import { APPLY_PATCH, OBJECT_TYPES, PATCH_TYPES, mediaType, parseBody } from './body.js';
import { recordUpdate, serverSideApply } from './apply.js';
import { ApiError, badRequest, conflict, forbidden, methodNotAllowed, notFound } from './errors.js';
import type { Repository } from './repository.js';
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
  send(ctx, code, table ? toTable(ctx.r.def, [obj], table) : obj, warnings);
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
      if (target.namespace !== undefined && !isDns1123Label(target.namespace)) throw badRequest(`invalid namespace in the URL: ${JSON.stringify(target.namespace)} is not a DNS-1123 label`);
      if (target.name !== undefined && !isDns1123Subdomain(target.name)) throw badRequest(`invalid name in the URL: ${JSON.stringify(target.name)} is not a DNS-1123 subdomain`);
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
  if (ctx.constraint && next && !ctx.deps.guard.satisfies(next, ctx.constraint)) {
    throw forbidden(ctx.req.user?.name ?? '', ctx.attrs.verb, ctx.r.def.plural, ctx.namespace);
  }
  ctx.deps.guard.admit(ctx.req, ctx.attrs, current, next);
}

function constrained(ctx: Ctx, filter: (obj: Obj) => boolean): (obj: Obj) => boolean {
  const c = ctx.constraint;
  return c ? (obj) => filter(obj) && ctx.deps.guard.satisfies(obj, { ...c, scannerOnly: false }) : filter;
}

async function list(ctx: Ctx): Promise<void> {
  const { deps, query, r, namespace } = ctx;
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw badRequest(`invalid limit "${String(query.limit)}"`);
  const result = await deps.repo(r).list({
    namespace,
    ...(limit ? { limit } : {}),
    ...(str(query.continue) ? { continueToken: str(query.continue)! } : {}),
    filter: constrained(ctx, selectorFilter(r, query, namespace)),
  });
  const metadata = { resourceVersion: result.resourceVersion, ...(result.continueToken ? { continue: result.continueToken } : {}) };
  const table = tableRequest(ctx);
  if (table) {
    send(ctx, 200, toTable(r.def, result.items, { ...table, listMeta: metadata }));
    return;
  }
  send(ctx, 200, { apiVersion: r.apiVersion, kind: r.def.listKind, metadata, items: result.items });
}

function watch(ctx: Ctx): Promise<void> {
  const { deps, req, res, query, r, namespace } = ctx;
  const table = tableRequest(ctx);
  return watchResource(deps, req, res, r, { namespace, query, matches: constrained(ctx, selectorFilter(r, query, namespace)), ...(table ? { table } : {}) });
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
  const rv = parseResourceVersion(query.resourceVersion);
  const timeout = query.timeoutSeconds === undefined ? undefined : Number(query.timeoutSeconds);
  let initial: Obj[] = [];
  let from = rv ?? 0;
  if (rv === undefined || rv === 0) {
    // No position given: the current state as ADDED events, then what happens after it.
    const snapshot = await deps.repo(r).list({ namespace, filter: matches });
    initial = snapshot.items;
    from = Number(snapshot.resourceVersion);
  }
  serveWatch(req, res, {
    cache: deps.cache(r),
    ...(o.view ? { view: o.view } : {}),
    initial,
    fromRevision: from,
    matches,
    table: o.table ?? false,
    bookmarks: query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1',
    ...(timeout !== undefined && Number.isFinite(timeout) ? { timeoutSeconds: timeout } : {}),
    maxBufferedBytes: deps.maxWatchBufferBytes,
  });
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
  recordUpdate(undefined, obj, str(query.fieldManager), r.apiVersion, isoSeconds(deps.now()));
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
      const { obj, warnings } = admitUpdate(r, current, body, {
        fieldValidation: parseFieldValidation(query.fieldValidation),
        requireResourceVersion: true,
        ...(subresource ? { subresource } : {}),
      });
      recordUpdate(current, obj, str(query.fieldManager), r.apiVersion, isoSeconds(deps.now()));
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

async function patch(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, name, subresource } = ctx;
  const type = mediaType(req.headers['content-type']);
  let body = parseBody(req.body, req.headers['content-type'], PATCH_TYPES);
  if (type === APPLY_PATCH) return apply(ctx, body);
  const isDry = dryRun(query);
  // A patch without a resourceVersion applies to whatever is current: retry when someone wrote in between.
  for (let attempt = 0; ; attempt++) {
    // Parsed again for every further attempt: the patched object shares parts of the patch, which admission
    // prunes and defaults in place.
    if (attempt > 0) body = parseBody(req.body, req.headers['content-type'], PATCH_TYPES);
    const { current, exact } = await writable(ctx, isDry || attempt > 0);
    let pinned: string | undefined;
    try {
      const patched = applyPatch(type, current, body) as Obj;
      pinned = (patched.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (pinned !== undefined && pinned !== current.metadata.resourceVersion) {
        throw conflict(refOf(r), name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const { obj, warnings } = admitUpdate(r, current, patched, {
        fieldValidation: parseFieldValidation(query.fieldValidation),
        requireResourceVersion: false,
        ...(subresource ? { subresource } : {}),
      });
      obj.metadata.resourceVersion = current.metadata.resourceVersion;
      recordUpdate(current, obj, str(query.fieldManager), r.apiVersion, isoSeconds(deps.now()));
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
  const manager = str(query.fieldManager);
  if (!manager) throw new ApiError(422, 'Invalid', 'PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
  const applied = asObject(r, body);
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`);
  }
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
      if (subresource) throw notFound({ plural: r.def.plural, group: r.def.group, kind: r.def.kind }, name);
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
    const merged = serverSideApply({ live: current, applied, manager, force, apiVersion: r.apiVersion, now });
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

async function deleteOne(deps: HandlerDeps, r: Resource, current: Obj, isDry: boolean, pre: DeleteOptions['preconditions']): Promise<{ code: number; obj: Obj }> {
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
    if (current.metadata.deletionTimestamp) return { code: 202, obj: current };
    const marked = structuredClone(current);
    marked.metadata.deletionTimestamp = isoSeconds(deps.now());
    marked.metadata.deletionGracePeriodSeconds = 0;
    if (isDry) return { code: 202, obj: marked };
    const stored = await repo.update(marked, expected);
    deps.guard.written(r, stored, false);
    return { code: 202, obj: stored };
  }
  if (isDry) return { code: 200, obj: current };
  if (isNamespace(r)) {
    deps.namespaces?.forget(name);
    const state = await terminateNamespace({ ...deps, deleteObject: async (res, obj) => void (await deleteOne(deps, res, obj, false, {})) }, current);
    return { code: state.metadata.deletionTimestamp && (await repo.get(undefined, name)) ? 202 : 200, obj: state };
  }
  const gone = await repo.delete(current, expected);
  deps.guard.written(r, gone, true);
  await afterDelete(deps, r, gone);
  return { code: 200, obj: gone };
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
  const { code, obj } = await deleteOne(deps, r, current, opts.dryRun, opts.preconditions);
  sendObject(ctx, code, obj);
}

async function removeCollection(ctx: Ctx): Promise<void> {
  const { deps, req, query, r, namespace } = ctx;
  const opts = deleteOptionsOf(req, query);
  const { items, resourceVersion } = await deps.repo(r).list({ namespace, filter: constrained(ctx, selectorFilter(r, query, namespace)) });
  const deleted: Obj[] = [];
  for (const current of items) {
    try {
      admitWrite(ctx, current, undefined);
      deleted.push((await deleteOne(deps, r, current, opts.dryRun, opts.preconditions)).obj);
    } catch (err) {
      // Gone or changed since the list: not ours to delete any more.
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
  send(ctx, 200, { apiVersion: r.apiVersion, kind: r.def.listKind, metadata: { resourceVersion }, items: deleted });
}
