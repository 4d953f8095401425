// Express middleware that audits each request once it has been answered: every mutating request (POST, PUT,
// PATCH, DELETE, whatever its outcome) and every denied one (401, 403, 429). Successful reads are not
// audited (too many). It goes right after the request id is set and before authentication, so requests
// refused there are audited too. Nothing of the request or response body is read.
import { STATUS_CODES } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuditEntry, AuditUser, Auditor } from './auditor.js';
// req.user, req.id, req.attributes and req.denyReason are declared with the app (../api/app.ts); they are
// read defensively here, whatever their declared types.

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const DENIED = new Set([401, 403, 429]);

/** Kubernetes' Status reasons of the codes the API returns. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  499: 'ClientClosedRequest',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function reasonOf(code: number): string | undefined {
  if (code < 400) return undefined;
  return REASONS[code] ?? (STATUS_CODES[code] ?? 'Unknown').replace(/(?:^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

interface Target {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * What a request was about, from its method and URL alone (for requests refused before the resource handler
 * ran): `/apis/<group>/<version>/[namespaces/<ns>/]<plural>[/<name>[/<sub>]]` and `/api/v1/...` as the
 * handler reads them; other paths name no resource.
 */
export function targetFromPath(method: string, path: string, watch: boolean): Target {
  const segs = path.split('/').filter(Boolean).map(decode);
  let rest: string[] | undefined;
  let core = false;
  if (segs[0] === 'apis' && segs.length >= 4) rest = segs.slice(3);
  else if (segs[0] === 'api' && segs.length >= 3) {
    rest = segs.slice(2);
    core = true;
  }
  if (!rest) {
    const verbs: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
    return { verb: verbs[method] ?? method.toLowerCase(), resource: '' };
  }
  let namespace: string | undefined;
  if ((!core || rest[0] !== 'namespaces' || rest.length > 3) && rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource] = rest;
  const verbs: Record<string, string> = name === undefined
    ? { GET: watch ? 'watch' : 'list', HEAD: 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'deletecollection' }
    : { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  return {
    verb: verbs[method] ?? method.toLowerCase(),
    resource: plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

/** The resolved request attributes, read defensively (their shape belongs to the resource handler). */
function targetFromAttributes(req: Request): Target | undefined {
  const a = (req as { attributes?: unknown }).attributes as Partial<{ verb: unknown; resource: { def?: { plural?: unknown } }; namespace: unknown; name: unknown; subresource: unknown }> | undefined;
  const plural = a?.resource?.def?.plural;
  if (!a || typeof a.verb !== 'string' || typeof plural !== 'string') return undefined;
  const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const namespace = s(a.namespace);
  const name = s(a.name);
  const subresource = s(a.subresource);
  return {
    verb: a.verb,
    resource: plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

/** The authenticated caller, read defensively: kind and node may not be there. */
function userOf(req: Request): AuditUser | undefined {
  const u = (req as { user?: unknown }).user as { name?: unknown; kind?: unknown; node?: unknown } | undefined;
  if (!u || typeof u.name !== 'string') return undefined;
  let node: string | undefined;
  if (typeof u.node === 'string') node = u.node;
  else if (u.node && typeof u.node === 'object') {
    const n = u.node as { namespace?: unknown; name?: unknown };
    if (typeof n.name === 'string') node = typeof n.namespace === 'string' ? `${n.namespace}/${n.name}` : n.name;
  }
  const kind = u.kind === 'Node' || (u.kind === undefined && node !== undefined) ? 'Node' : 'User';
  return { name: u.name, kind, ...(node !== undefined ? { node } : {}) };
}

/**
 * Audits the request when it is answered (or when the client goes away first: code 499). The reason is
 * `req.denyReason` (set by authentication and authorization), else `res.locals.auditReason`, else the Status
 * reason of the code (Forbidden, Conflict, ...) for failures; neither may come from the request body.
 */
export function auditMiddleware(auditor: Auditor, log?: Logger): RequestHandler {
  return (req: Request, res: Response, next) => {
    const sourceAddress = req.socket?.remoteAddress ?? '';
    let done = false;
    const audit = (finished: boolean): void => {
      if (done) return;
      done = true;
      try {
        const code = finished || res.headersSent ? res.statusCode : 499;
        if (!MUTATING.has(req.method) && !DENIED.has(code)) return;
        const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
        const watch = req.query?.['watch'] === 'true' || req.query?.['watch'] === '1';
        const target = targetFromAttributes(req) ?? targetFromPath(req.method, path, watch);
        const user = userOf(req);
        const given = [(req as { denyReason?: unknown }).denyReason, (res.locals as { auditReason?: unknown }).auditReason];
        const reason = code >= 400 ? given.find((r): r is string => typeof r === 'string' && r !== '') ?? reasonOf(code) : undefined;
        const ua = req.headers['user-agent'];
        const entry: AuditEntry = {
          ...(user ? { user } : {}),
          ...target,
          path,
          code,
          requestId: String((req as { id?: unknown }).id ?? ''),
          sourceAddress,
          ...(typeof ua === 'string' && ua !== '' ? { userAgent: ua } : {}),
          ...(reason ? { reason } : {}),
        };
        auditor.record(entry);
      } catch (err) {
        // auditing never breaks a request
        log?.error({ err, id: req.id }, 'audit: could not describe the request');
      }
    };
    // 'close' follows 'finish' for every answered request, and comes alone when the client went away first:
    // one listener per request instead of two.
    res.once('close', () => audit(res.writableFinished));
    next();
  };
}
