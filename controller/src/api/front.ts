// The HTTP entry point of every request: request id, request log and audit, the public paths, authentication
// (with failure throttling), then the resource verbs. They are most of the traffic and run on plain node:http:
// express costs more per request than the whole GET of a cached object, so it only serves the rest
// (discovery, OpenAPI, run logs, plans, whoami), behind the same front.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal } from '../auth/authz.js';
import { addressKey } from '../auth/ratelimit.js';
import { tokenName } from '../auth/tokens.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { ControllerMetrics } from '../metrics.js';
import { ApiError, routeNotFound, unauthorized } from './errors.js';
import type { ResourceHandler } from './handlers.js';
import { responseCode, sendBody, sendError, sendText } from './http.js';
import type { ApiRequest } from './http.js';
import * as discovery from './discovery.js';
import { parseQueryOnce } from './query.js';

/** Failed-authentication throttling (see auth/ratelimit.ts). */
export interface Limiter {
  retryAfter(keys: string[]): number;
  failure(keys: string[]): void;
}

export interface FrontDeps {
  log: Logger;
  version: string;
  /** Returns who a bearer token belongs to, or undefined for any token that must be refused. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** Whether this presented token authenticated before (its owner is not the one guessing). */
  verifiedBefore?(token: string): boolean;
  limiter: Limiter;
  audit?: AuditRecorder;
  /** Counts each answered request (metrics.ts). */
  metrics?: ControllerMetrics;
  /** The readiness checks, in order (`started`, `store`): /readyz is 200 when all pass. */
  readiness(): Array<{ name: string; ok: boolean }>;
  resources: ResourceHandler;
  /** Reads the raw body into req.body (capped; express's raw parser). */
  readBody(req: ApiRequest, res: ServerResponse): Promise<void>;
  /** Everything that is not a resource verb: an express application ending in 404. */
  rest(req: ApiRequest, res: ServerResponse): void;
}

/** Paths anyone may read: liveness and the version, as in Kubernetes. */
const PUBLIC: Record<string, (deps: FrontDeps, res: ServerResponse, query: string) => void> = {
  '/healthz': (_d, res) => sendText(res, 200, 'ok'),
  '/livez': (_d, res) => sendText(res, 200, 'ok'),
  '/readyz': (d, res, query) => readyz(d.readiness(), res, /(^|&)verbose(=|&|$)/.test(query)),
  '/version': (d, res) => sendBody(res, 200, discovery.versionInfo(d.version)),
};

/**
 * Kubernetes' format: `ok`, or with `?verbose` (and always on failure) a line per check and a verdict. Why a
 * check fails is withheld, as Kubernetes does: the path is public; the controller log has the reason.
 */
function readyz(checks: Array<{ name: string; ok: boolean }>, res: ServerResponse, verbose: boolean): void {
  const ok = checks.every((c) => c.ok);
  if (ok && !verbose) return sendText(res, 200, 'ok');
  const lines = [{ name: 'ping', ok: true }, ...checks].map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: reason withheld`));
  sendText(res, ok ? 200 : 503, `${lines.join('\n')}\nreadyz check ${ok ? 'passed' : 'failed'}\n`);
}

export function createFront(deps: FrontDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { log } = deps;
  return (request, res) => {
    const req = request as ApiRequest;
    const url = originForm(req.url ?? '/');
    // Everything after this (authentication, the routers) must see the path that was checked.
    req.url = url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const id = randomUUID();
    req.id = id;
    res.setHeader('Audit-Id', id);
    const started = process.hrtime.bigint();
    // One listener for both: 'close' follows 'finish', and comes alone when the client went away first.
    res.once('close', () => {
      const status = responseCode(res);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (deps.metrics) countRequest(deps.metrics, req, status, ms);
      if (status >= 400 || log.isLevelEnabled('debug')) {
        // 503 is the store being away (logged once by the store health probe), not a fault of this request.
        log[status >= 500 && status !== 503 ? 'error' : 'debug']({ id, method: req.method, url, status, ms, user: req.user?.name }, 'request');
      }
      deps.audit?.(req, status, url);
    });
    const serve = (req.method === 'GET' || req.method === 'HEAD') && Object.hasOwn(PUBLIC, path) ? PUBLIC[path] : undefined;
    if (serve) return serve(deps, res, q < 0 ? '' : url.slice(q + 1));
    handle(deps, req, res, path, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => sendError(req, res, err, log));
  };
}

/**
 * A resource request by its Kubernetes verb and plural, anything else by its method. Watches and run logs
 * (followed as long as the client wants) are counted but not timed, as kube-apiserver leaves long-running
 * requests out of its latency histogram.
 */
function countRequest(metrics: ControllerMetrics, req: ApiRequest, status: number, ms: number): void {
  const a = req.attributes;
  const verb = a?.verb ?? (req.method ?? '').toLowerCase();
  const longRunning = a?.verb === 'watch' || a?.subresource === 'log';
  metrics.observe({ verb, resource: a?.resource.def.plural ?? '', subresource: a?.subresource ?? '' }, status, longRunning ? undefined : ms / 1000);
}

/** The path and query of a request line in absolute form (`GET http://host/path`), which servers must accept. */
function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

async function handle(deps: FrontDeps, req: ApiRequest, res: ServerResponse, path: string, query: string): Promise<void> {
  // Other methods on a public path need no token either: they are a 404, answered without reading a body (an
  // unauthenticated client must not get 3 MiB buffered for it).
  if (Object.hasOwn(PUBLIC, path)) throw routeNotFound(path);
  req.user = await authenticate(deps, req, res);
  // Discovery and OpenAPI answer every user alike, so kubectl gets as far as the real request and says why.
  if (!DESCRIBES_API.test(path)) refuseImpersonation(req);
  const target = deps.resources.resolve(path);
  if (!target) return deps.rest(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') await deps.readBody(req, res);
  await deps.resources.serve(req, res, target, parseQueryOnce(query));
}

/** Discovery (/api, /apis, a group, a group version) and OpenAPI documents. */
const DESCRIBES_API = /^\/(api|apis|apis\/[^/]+|apis\/[^/]+\/[^/]+|api\/v1|openapi\/.*)$/;

/**
 * kubectl --as / --as-group send Impersonate-* headers. This server does not impersonate; serving the request
 * as the caller instead would do with the caller's rights what was meant to be done with someone else's.
 */
function refuseImpersonation(req: ApiRequest): void {
  const header = Object.keys(req.headers).find((h) => h.startsWith('impersonate-'));
  if (!header) return;
  req.denyReason = `impersonation requested (${header})`;
  throw new ApiError(403, 'Forbidden', `impersonation (${header}, kubectl --as/--as-group) is not supported by this server: the request was not served`);
}

/**
 * Every path but the public ones needs a valid bearer token. Failures are throttled per source address and
 * per token prefix; every refusal is the same 401, whatever was wrong with the token.
 */
async function authenticate(deps: FrontDeps, req: ApiRequest, res: ServerResponse): Promise<Principal> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) {
    req.denyReason = 'no bearer token';
    throw unauthorized();
  }
  // A source address that keeps failing is refused before anything else, except for a token that already
  // proved itself (the guesses of someone behind the same address must not lock its owner out); a token
  // prefix that keeps failing is refused only when its token fails again, so knowing a prefix cannot lock
  // out the token's owner either.
  const prefix = tokenName(m[1]!);
  const ipKey = addressKey(req.socket.remoteAddress);
  const tooMany = (wait: number): ApiError => {
    req.denyReason = 'too many failed authentications';
    res.setHeader('Retry-After', String(wait));
    return new ApiError(429, 'TooManyRequests', `too many failed authentications; retry after ${wait} seconds`, { retryAfterSeconds: wait });
  };
  const ipWait = deps.limiter.retryAfter([ipKey]);
  if (ipWait > 0 && !deps.verifiedBefore?.(m[1]!)) throw tooMany(ipWait);
  const principal = await deps.authenticate(m[1]!);
  if (!principal) {
    const keys = [ipKey, ...(prefix ? [`prefix:${prefix}`] : [])];
    const wait = deps.limiter.retryAfter(keys);
    deps.limiter.failure(keys);
    if (wait > 0) throw tooMany(wait);
    req.denyReason = 'invalid token';
    throw unauthorized();
  }
  // A success does not wipe the address's failures: guesses interleaved with one valid request of the
  // guesser's own would never be throttled. Tokens that proved themselves pass a throttled address anyway.
  return principal;
}
