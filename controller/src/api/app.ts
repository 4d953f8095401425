// The express application: request id and logging → body cap → authentication → discovery and OpenAPI →
// resource verbs (each authorized) → Status errors. Separate from listen() so tests can build and close it.
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loadResources } from '@hyprbox/crds';
import { BODY_LIMIT } from './body.js';
import { ApiError, forbidden, internalError, routeNotFound, tooLarge, unauthorized } from './errors.js';
import { createResourceHandler } from './handlers.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import * as discovery from './discovery.js';
import * as openapi from './openapi.js';

export interface User {
  name: string;
  groups: string[];
}

export interface AppDeps extends Omit<HandlerDeps, 'authorize'> {
  log: Logger;
  version: string;
  /** Returns the user a bearer token belongs to, or undefined. */
  authenticate(token: string): User | undefined;
  /** Whether the user may perform the request (deny by default). */
  authorize(user: User, attrs: RequestAttributes): boolean;
  ready(): boolean;
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: User;
    id?: string;
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

  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/livez', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => void res.status(deps.ready() ? 200 : 503).type('text/plain').send(deps.ready() ? 'ok' : 'not ready'));
  app.get('/version', (_req, res) => void res.json(discovery.versionInfo(deps.version)));

  // Authentication: every other path needs a valid bearer token.
  app.use((req, _res, next) => {
    if (PUBLIC.has(req.path)) return next();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const user = m ? deps.authenticate(m[1]!) : undefined;
    if (!user) return next(unauthorized());
    req.user = user;
    next();
  });

  app.use(express.raw({ type: () => true, limit: BODY_LIMIT }));

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
  const authorizeCrds = (req: Request, verb: 'get' | 'list') => {
    const attrs = { verb, resource: deps.registry.all[0]!, name: req.params.name as string } as RequestAttributes;
    if (!deps.authorize(req.user!, attrs)) throw forbidden(req.user!.name, verb, 'customresourcedefinitions');
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

  const handlerDeps: HandlerDeps = {
    ...deps,
    authorize: (req, attrs) => {
      if (!deps.authorize(req.user!, attrs)) {
        const resource = attrs.subresource ? `${attrs.resource.def.plural}/${attrs.subresource}` : attrs.resource.def.plural;
        throw forbidden(req.user!.name, attrs.verb, resource, attrs.namespace);
      }
    },
  };
  app.use('/apis/hyprbox.io/v1alpha1', createResourceHandler(handlerDeps, 'hyprbox.io'));
  app.use('/api/v1', createResourceHandler(handlerDeps, ''));

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
