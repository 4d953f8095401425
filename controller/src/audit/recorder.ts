// The audit of each request once it has been answered: every mutating request (POST, PUT, PATCH, DELETE,
// whatever its outcome) and every denied one (401, 403, 429). Successful reads are not audited (too many).
// The front arms it before authentication, so requests refused there are audited too. Nothing of the request
// or response body is read.
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import type { ApiRequest } from '../api/http.js';
import type { AuditEntry, AuditUser, Auditor } from './auditor.js';
// req.user and req.attributes are read defensively here, whatever their declared types.

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
function targetFromAttributes(req: ApiRequest): Target | undefined {
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
function userOf(req: ApiRequest): AuditUser | undefined {
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
 * An agent's successful renewal of its own heartbeat Lease: every 10 s per node (8,640 a day each), which would
 * bury everything else and grow the store by hundreds of MB per agent over the retention. Left out, as
 * Kubernetes' audit policies leave out node lease updates; a refused renewal is still audited.
 */
function heartbeat(code: number, user: AuditUser | undefined, t: Target): boolean {
  return code < 400 && user?.kind === 'Node' && t.resource === 'leases' && (t.verb === 'update' || t.verb === 'patch') && user.node === `${t.namespace}/${t.name}`;
}

/**
 * Audits one answered request (or one the client left first: code 499). Called by the front once the
 * response has closed, with its code and the URL as it arrived. The reason is `req.denyReason` (set by
 * authentication and authorization), else the Status reason of the code (Forbidden, Conflict, ...) for
 * failures; it never comes from the request body.
 */
export type AuditRecorder = (req: ApiRequest, code: number, url: string) => void;

export function auditRecorder(auditor: Auditor, log?: Logger): AuditRecorder {
  return (req, code, url) => {
    try {
      if (!MUTATING.has(req.method ?? '') && !DENIED.has(code)) return;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const watchParam = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)).get('watch');
      const target = targetFromAttributes(req) ?? targetFromPath(req.method ?? '', path, watchParam === 'true' || watchParam === '1');
      const user = userOf(req);
      if (heartbeat(code, user, target)) return;
      const denied = req.denyReason;
      const reason = code >= 400 ? (typeof denied === 'string' && denied !== '' ? denied : reasonOf(code)) : undefined;
      const ua = req.headers['user-agent'];
      const entry: AuditEntry = {
        ...(user ? { user } : {}),
        ...target,
        path,
        code,
        requestId: String(req.id ?? ''),
        sourceAddress: req.socket?.remoteAddress ?? '',
        ...(typeof ua === 'string' && ua !== '' ? { userAgent: ua } : {}),
        ...(reason ? { reason } : {}),
      };
      auditor.record(entry);
    } catch (err) {
      // auditing never breaks a request
      log?.error({ err, id: req.id }, 'audit: could not describe the request');
    }
  };
}
