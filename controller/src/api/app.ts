// The express application: request id and logging → authentication → body cap → resource verbs (each
// authorized) → discovery and OpenAPI → Status errors. Separate from listen() so tests can build and close it.
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loadResources } from '@hyprbox/crds';
import { BODY_LIMIT } from './body.js';
import { ApiError, internalError, routeNotFound, tooLarge, unauthorized } from './errors.js';
import { crdPseudoResource } from './resource.js';
import { runLogRouter } from './runlog-routes.js';
import { planRouter } from './plan-route.js';
import { whoami } from './whoami.js';
import { createResourceHandler } from './handlers.js';
import { NamespaceView } from './namespace-view.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import type { Principal } from '../auth/authz.js';
import { addressKey } from '../auth/ratelimit.js';
import { tokenName } from '../auth/tokens.js';
import * as discovery from './discovery.js';
import * as openapi from './openapi.js';

/** Failed-authentication throttling (see auth/ratelimit.ts). */
export interface Limiter {
  retryAfter(keys: string[]): number;
  failure(keys: string[]): void;
  success(keys: string[]): void;
}

export interface AppDeps extends HandlerDeps {
  log: Logger;
  version: string;
  /** Returns who a bearer token belongs to, or undefined for any token that must be refused. */
  authenticate(token: string): Promise<Principal | undefined>;
  limiter: Limiter;
  /** Records mutating and denied requests (the audit middleware). */
  audit?: express.RequestHandler;
  ready(): boolean;
  /** PEM of the key Runs are signed with; agents fetch and pin it at enrollment. */
  signingPublicKey?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: Principal;
    id?: string;
    /** What the request does, once routed (read by the audit log). */
    attributes?: RequestAttributes;
    /** Why the request was denied, for the audit log. */
    denyReason?: string;
  }
}

/** Paths anyone may read: liveness and the version, as in Kubernetes. */
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version']);

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  const defs = [...deps.registry.all.map((r) => r.def).filter((d) => d.group !== '')];
  const crds = loadResources().map((d) => d.crd);

  app.use((req, res, next) => {
    req.id = randomUUID();
    res.setHeader('Audit-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.statusCode >= 400 || deps.log.isLevelEnabled('debug')) {
        deps.log[res.statusCode >= 500 ? 'error' : 'debug']({ id: req.id, method: req.method, url: req.originalUrl, status: res.statusCode, ms, user: req.user?.name }, 'request');
      }
    });
    next();
  });

  // The public paths in one layer (each layer costs every request a path match).
  const publicGet: Record<string, (res: Response) => void> = {
    '/healthz': (res) => void res.type('text/plain').send('ok'),
    '/livez': (res) => void res.type('text/plain').send('ok'),
    '/readyz': (res) => void res.status(deps.ready() ? 200 : 503).type('text/plain').send(deps.ready() ? 'ok' : 'not ready'),
    '/version': (res) => void res.json(discovery.versionInfo(deps.version)),
  };
  app.use((req, res, next) => {
    const serve = (req.method === 'GET' || req.method === 'HEAD') && Object.hasOwn(publicGet, req.path) ? publicGet[req.path] : undefined;
    if (serve) serve(res);
    else next();
  });

  if (deps.audit) app.use(deps.audit);

  // Authentication: every other path needs a valid bearer token. Failures are throttled per source address
  // and per token prefix; every refusal is the same 401, whatever was wrong with the token.
  app.use(async (req, res, next) => {
    if (PUBLIC.has(req.path)) return next();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      req.denyReason = 'no bearer token';
      return next(unauthorized());
    }
    // Throttling: a source address that keeps failing is refused before anything else; a token prefix that
    // keeps failing is refused only when its token fails again, so knowing a prefix cannot lock out the
    // token's owner.
    const prefix = tokenName(m[1]!);
    const ipKey = addressKey(req.socket.remoteAddress);
    const tooMany = (wait: number): void => {
      req.denyReason = 'too many failed authentications';
      res.setHeader('Retry-After', String(wait));
      next(new ApiError(429, 'TooManyRequests', `too many failed authentications; retry after ${wait} seconds`, { retryAfterSeconds: wait }));
    };
    const ipWait = deps.limiter.retryAfter([ipKey]);
    if (ipWait > 0) return tooMany(ipWait);
    try {
      const principal = await deps.authenticate(m[1]!);
      if (!principal) {
        const keys = [ipKey, ...(prefix ? [`prefix:${prefix}`] : [])];
        const wait = deps.limiter.retryAfter(keys);
        deps.limiter.failure(keys);
        if (wait > 0) return tooMany(wait);
        req.denyReason = 'invalid token';
        return next(unauthorized());
      }
      deps.limiter.success([ipKey]);
      req.user = principal;
      next();
    } catch (err) {
      next(err);
    }
  });

  // Bodies are read as raw bytes (the handlers parse JSON and YAML themselves); reads have none to read.
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });
  app.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : raw(req, res, next)));

  // The resource verbs come first: they are most of the traffic, and every layer before them costs each
  // request a path match. A path that names no resource falls through to discovery and OpenAPI below.
  if (deps.runLogs) {
    const runs = deps.registry.byPlural('hyprbox.io', 'runs')!;
    app.use('/apis/hyprbox.io/v1alpha1/namespaces/:ns/runs/:name/log', runLogRouter(deps, deps.runLogs, runs));
  }
  app.use('/apis/hyprbox.io/v1alpha1/namespaces/:ns/nodeprofiles/:name/plan', planRouter(deps, deps.registry));
  const namespaces = new NamespaceView(deps.cache(deps.registry.namespaces), deps.repo(deps.registry.namespaces));
  // Until it has listed them (or if it cannot), creates read their namespace from the store.
  namespaces.start().catch((err: unknown) => deps.log.warn({ err }, 'namespace view not started; creates read the store'));
  const resources = { ...deps, namespaces };
  app.use('/apis/hyprbox.io/v1alpha1', createResourceHandler(resources, 'hyprbox.io'));
  app.use('/api/v1', createResourceHandler(resources, ''));

  // Any authenticated principal (agents above all) may read the run-signing public key.
  app.get('/hyprbox/v1/signing-key', (_req, res) => void res.type('application/x-pem-file').send(deps.signingPublicKey ?? ''));
  // Who the caller is and which roles it holds: clients show or hide what a person may do (the API still decides).
  app.get('/hyprbox/v1/whoami', (req, res) => void res.json(whoami(req.user!, deps.guard.grants(req.user!))));

  const json = (body: () => unknown) => (_req: Request, res: Response) => void res.json(body());
  app.get('/api', json(() => discovery.coreApiVersions()));
  app.get('/api/v1', json(() => discovery.coreV1Resources()));
  app.get('/apis', json(() => discovery.apiGroupList(defs)));
  app.get('/apis/hyprbox.io', json(() => (discovery.apiGroupList(defs) as { groups: unknown[] }).groups[0]));
  app.get('/apis/hyprbox.io/v1alpha1', json(() => discovery.groupResources(defs)));
  app.get('/apis/apiextensions.k8s.io/v1', json(() => discovery.apiextensionsResources()));
  const v3root = openapi.openapiV3Root(defs);
  const v3group = openapi.openapiV3Group(defs);
  const v3core = openapi.openapiV3Core();
  const v3ext = openapi.openapiV3Apiextensions();
  const v2 = openapi.openapiV2(defs);
  app.get('/openapi/v3', json(() => v3root));
  app.get('/openapi/v3/apis/hyprbox.io/v1alpha1', json(() => v3group));
  app.get('/openapi/v3/api/v1', json(() => v3core));
  app.get('/openapi/v3/apis/apiextensions.k8s.io/v1', json(() => v3ext));
  app.get('/openapi/v2', (req, res) => {
    const accept = req.headers.accept ?? '';
    if (accept && !/json|\*\/\*/.test(accept)) {
      throw new ApiError(406, 'NotAcceptable', 'only application/json is served for /openapi/v2');
    }
    res.json(v2);
  });

  // The CRDs themselves, read-only: `kubectl get crd` and client-side dry runs of crds/definitions.
  const crdResource = crdPseudoResource();
  const authorizeCrds = (req: Request, verb: 'get' | 'list') => {
    const attrs: RequestAttributes = { verb, resource: crdResource, ...(req.params.name ? { name: req.params.name as string } : {}) };
    req.attributes = attrs;
    deps.guard.authorize(req, attrs);
  };
  app.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', (req, res) => {
    authorizeCrds(req, 'list');
    res.json({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinitionList', metadata: { resourceVersion: '1' }, items: crds });
  });
  app.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/:name', (req, res) => {
    authorizeCrds(req, 'get');
    const crd = crds.find((c) => (c.metadata as { name: string }).name === req.params.name);
    if (!crd) throw new ApiError(404, 'NotFound', `customresourcedefinitions.apiextensions.k8s.io "${req.params.name}" not found`);
    res.json(crd);
  });

  app.use((req, _res, next) => next(routeNotFound(req.path)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if ((err as { type?: string }).type === 'entity.too.large') e = tooLarge(BODY_LIMIT);
    else {
      deps.log.error({ id: req.id, err }, 'unhandled error');
      e = internalError();
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e.code === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="hyprbox"');
    res.status(e.code).json(e.toStatus());
  });
  return app;
}
