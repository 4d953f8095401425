// The express application behind the front (front.ts): every route that is not a resource verb (run logs,
// plans, whoami, the signing key, discovery, OpenAPI and the CRDs), then the 404 and Status errors. The front
// has already set the request id, armed the audit and authenticated the caller.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BODY_LIMIT, OBJECT_TYPES, parseBody } from './body.js';
import { ApiError, methodNotAllowed, routeNotFound } from './errors.js';
import { crdPseudoResource } from './resource.js';
import { getCrd, listCrds, servedCrds } from './crd-route.js';
import { coreEventsHandler } from './core-events.js';
import { isoSeconds } from './admission.js';
import { runLogRouter } from './runlog-routes.js';
import { planRouter } from './plan-route.js';
import { whoami } from './whoami.js';
import { AUTHENTICATION_GV, AUTHORIZATION_GV, selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview } from './reviews.js';
import { createResourceHandler } from './handlers.js';
import { NamespaceView } from './namespace-view.js';
import type { HandlerDeps, RequestAttributes } from './handlers.js';
import { createFront } from './front.js';
import type { FrontDeps } from './front.js';
import { sendError } from './http.js';
import type { ApiFields, ApiRequest } from './http.js';
import * as discovery from './discovery.js';
import * as openapi from './openapi.js';
import { acceptsOpenAPIV2Protobuf, encodeOpenAPIV2, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ANSWER } from './openapi-proto.js';
import { parseQueryOnce } from './query.js';
import type { BodyBudget } from '../connections.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';

export type { Limiter } from './front.js';

export interface AppDeps extends HandlerDeps, Pick<FrontDeps, 'log' | 'version' | 'authenticate' | 'verifiedBefore' | 'limiter' | 'audit' | 'metrics' | 'readiness'> {
  /** PEM of the key Runs are signed with; agents fetch and pin it at enrollment. */
  signingPublicKey?: string;
  /** Aborted when the controller stops: ends the streams the watch caches do not own (CRD watches). */
  shutdown?: AbortSignal;
  /** Bytes of request bodies read at once (connections.ts); unbounded without it. */
  bodyBudget?: BodyBudget;
}

declare module 'express-serve-static-core' {
  // The fields the front sets (see http.ts), on express's requests too.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges ApiFields into express's Request
  interface Request extends ApiFields {}
}

/** The request listener of the controller's HTTP server. */
export function createApp(deps: AppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const namespaces = new NamespaceView(deps.cache(deps.registry.namespaces), deps.repo(deps.registry.namespaces));
  // Until it has listed them (or if it cannot), creates read their namespace from the store.
  namespaces.start().catch((err: unknown) => deps.log.warn({ err }, 'namespace view not started; creates read the store'));
  // Bodies are read as raw bytes (the handlers parse JSON and YAML themselves).
  const unbudgeted = express.raw({ type: () => true, limit: BODY_LIMIT });
  const budget = deps.bodyBudget;
  // Bodies wait for room in the budget of bytes being read (connections.ts), or are refused unread.
  const raw: express.RequestHandler = (req, res, next) => {
    if (!budget || budget.reserve(req, res)) return unbudgeted(req, res, next);
    res.setHeader('Retry-After', '1');
    next(new ApiError(429, 'TooManyRequests', 'too many request bodies are being read at once; retry', { retryAfterSeconds: 1 }));
  };
  const rest = restApp(deps, raw);
  return createFront({
    ...deps,
    resources: createResourceHandler({ ...deps, namespaces }),
    readBody: (req, res) => new Promise<void>((resolve, reject) => raw(req as Request, res as Response, (err?: unknown) => (err ? reject(err) : resolve()))),
    rest: (req, res) => void rest(req as Request, res as Response),
  });
}

function restApp(deps: AppDeps, raw: express.RequestHandler): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', parseQueryOnce);
  const defs = [...deps.registry.all.map((r) => r.def).filter((d) => d.group !== '')];
  app.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : raw(req, res, next)));
  if (deps.runLogs) {
    const runs = deps.registry.byPlural('hyprbox.io', 'runs')!;
    app.use('/apis/hyprbox.io/v1alpha1/namespaces/:ns/runs/:name/log', runLogRouter(deps, deps.runLogs, runs));
  }
  app.use('/apis/hyprbox.io/v1alpha1/namespaces/:ns/nodeprofiles/:name/plan', planRouter(deps, deps.registry));

  // Any authenticated principal (agents above all) may read the run-signing public key.
  app.get('/hyprbox/v1/signing-key', (_req, res) => void res.type('application/x-pem-file').send(deps.signingPublicKey ?? ''));
  // Who the caller is and which roles it holds: clients show or hide what a person may do (the API still decides).
  app.get('/hyprbox/v1/whoami', (req, res) => void res.json(whoami(req.user!, deps.guard.grants(req.user!))));

  // Prometheus: the figures cover every namespace, so a token bound to a cluster-wide role (viewer is enough).
  app.get('/metrics', async (req, res) => {
    if (!deps.metrics) throw routeNotFound(req.path);
    if (!deps.guard.grants(req.user!)?.cluster) {
      req.denyReason = 'no cluster-wide role';
      throw new ApiError(403, 'Forbidden', `${req.user!.name} cannot get path "/metrics": it needs a cluster-wide role (viewer is enough)`);
    }
    res.type(METRICS_CONTENT_TYPE).send(await deps.metrics.text());
  });

  // kubectl auth can-i / whoami: any authenticated caller may ask about itself.
  const review = (answer: (p: NonNullable<Request['user']>, body: unknown) => unknown) => (req: Request, res: Response) => {
    const body = parseBody(req.body, req.headers['content-type'], OBJECT_TYPES);
    res.status(201).json(answer(req.user!, body));
  };
  const grants = (p: NonNullable<Request['user']>) => deps.guard.grants(p);
  app.post(`/apis/${AUTHORIZATION_GV}/selfsubjectaccessreviews`, review((p, b) => selfSubjectAccessReview(p, grants(p), deps.registry, b)));
  app.post(`/apis/${AUTHORIZATION_GV}/selfsubjectrulesreviews`, review((p, b) => selfSubjectRulesReview(p, grants(p), deps.registry, b)));
  app.post(`/apis/${AUTHENTICATION_GV}/selfsubjectreviews`, review((p, b) => selfSubjectReview(p, grants(p), b)));

  const json = (body: () => unknown) => (_req: Request, res: Response) => void res.json(body());
  app.get('/api', json(() => discovery.coreApiVersions()));
  app.get('/api/v1', json(() => discovery.coreV1Resources()));
  app.get('/apis', json(() => discovery.apiGroupList(defs)));
  app.get('/apis/hyprbox.io', json(() => (discovery.apiGroupList(defs) as { groups: unknown[] }).groups[0]));
  app.get('/apis/hyprbox.io/v1alpha1', json(() => discovery.groupResources(defs)));
  app.get('/apis/apiextensions.k8s.io/v1', json(() => discovery.apiextensionsResources()));
  for (const group of ['authorization.k8s.io', 'authentication.k8s.io']) app.get(`/apis/${group}/v1`, json(() => discovery.reviewResources(group)));
  const v3root = openapi.openapiV3Root(defs);
  const v3group = openapi.openapiV3Group(defs);
  const v3core = openapi.openapiV3Core();
  const v3ext = openapi.openapiV3Apiextensions();
  const v2 = openapi.openapiV2(defs);
  app.get('/openapi/v3', json(() => v3root));
  app.get('/openapi/v3/apis/hyprbox.io/v1alpha1', json(() => v3group));
  app.get('/openapi/v3/api/v1', json(() => v3core));
  app.get('/openapi/v3/apis/apiextensions.k8s.io/v1', json(() => v3ext));
  // kubectl asks for protobuf only (when a kind is not in the v3 documents); encoded once, like the JSON.
  const v2proto = encodeOpenAPIV2(v2);
  app.get('/openapi/v2', (req, res) => {
    const accept = req.headers.accept ?? '';
    if (acceptsOpenAPIV2Protobuf(accept)) {
      res.type(OPENAPI_V2_PROTOBUF_ANSWER).send(v2proto);
      return;
    }
    if (accept && !/json|\*\/\*/.test(accept)) {
      throw new ApiError(406, 'NotAcceptable', `only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`);
    }
    res.json(v2);
  });

  // The CRDs themselves, read-only: `kubectl get crd [-w]`, `kubectl wait --for condition=established crd/...`
  // and client-side dry runs of crds/definitions. They are as old as the cluster (its default namespace).
  const crdResource = crdPseudoResource();
  const authorizeCrds = (req: Request, verb: 'get' | 'list' | 'watch') => {
    const attrs: RequestAttributes = { verb, resource: crdResource, ...(req.params.name ? { name: req.params.name as string } : {}) };
    req.attributes = attrs;
    deps.guard.authorize(req, attrs);
  };
  let crds: ReturnType<typeof servedCrds> | undefined;
  const served = async () => {
    if (crds) return crds;
    const ns = await deps.repo(deps.registry.namespaces).get(undefined, 'default');
    return (crds = servedCrds((ns?.metadata.creationTimestamp as string | undefined) ?? isoSeconds(deps.now())));
  };
  const shutdown = deps.shutdown ?? new AbortController().signal;
  app.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', async (req, res) => {
    authorizeCrds(req, req.query.watch === 'true' || req.query.watch === '1' ? 'watch' : 'list');
    listCrds(req, res, await served(), shutdown);
  });
  app.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/:name', async (req, res) => {
    authorizeCrds(req, 'get');
    getCrd(req, res, await served());
  });

  // HyprBox Events as core v1 Events: the Events section of `kubectl describe`, and `kubectl events`.
  const coreEvents = coreEventsHandler(deps, deps.registry.byPlural('hyprbox.io', 'events')!);
  app.get('/api/v1/events', coreEvents);
  app.get('/api/v1/namespaces/:ns/events', coreEvents);
  // Read-only views: other methods on their paths are 405, not 404 (the path exists, the verb does not).
  app.all(['/apis/apiextensions.k8s.io/v1/customresourcedefinitions', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/:name', '/api/v1/events', '/api/v1/namespaces/:ns/events'], (req) => {
    throw methodNotAllowed(`${req.method} is not supported on ${req.path}: it is read-only`);
  });

  app.use((req, _res, next) => next(routeNotFound(req.path)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => sendError(req as ApiRequest, res, err, deps.log));
  return app;
}
