// The controller process: opens the store, makes sure `default` exists, bootstraps the admin credential,
// starts one watch cache per resource and serves the API until stopped. stop() drains: it ends every
// watch, closes connections and then the store.
import { sign as cryptoSign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { lockDataDir } from './data-dir-lock.js';
import { answerClientError } from './api/http.js';
import { BODY_LIMIT } from './api/body.js';
import { BodyBudget, createLimitedServer } from './connections.js';
import { ControllerMetrics } from './metrics.js';
import { isoSeconds } from './api/admission.js';
import { Repository } from './api/repository.js';
import { RunLogs } from './api/runlog.js';
import { NodeLifecycle } from './reconcilers/node-lifecycle.js';
import { StoreHealth } from './store/health.js';
import { createRegistry } from './api/resource.js';
import type { Resource } from './api/resource.js';
import type { Repository as RepositoryType } from './api/repository.js';
import { WatchCache } from './api/watch-cache.js';
import { createAuditor } from './audit/auditor.js';
import { auditRecorder } from './audit/recorder.js';
import { executionEntry } from './audit/execution.js';
import { VerifiedTokens, authenticateToken } from './auth/authn.js';
import { tokenName } from './auth/tokens.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { createGuard } from './auth/guard.js';
import { loadOrCreateSigningKey, signRun } from './auth/signing.js';
import type { SignableRun } from '@hyprbox/crds';
import { soleLeader } from './reconcile/leader.js';
import { startReconcilers } from './reconcilers/manager.js';
import { syncCatalog } from './catalog/sync.js';
import { AuthIndex } from './auth/index-cache.js';
import { createAuthLimiter } from './auth/ratelimit.js';
import type { ControllerConfig } from './config.js';
import { openStore } from './store/open.js';
import { loggerOptions } from '@hyprbox/crds';
import { ensureAutoTls, loadTlsFiles, servingNames } from './tls.js';
import type { TlsMaterial } from './tls.js';
import type { Store } from './store/types.js';

export interface RunningController {
  url: string;
  port: number;
  /** PEM of the CA that signed the serving certificate, when generated. */
  caCert?: string;
  store: Store;
  log: Logger;
  /** Set when this start created the admin credential. */
  kubeconfigWritten?: string;
  /** Watches being served, from every watch cache (client watches and the controller's own informers). */
  watchers(): number;
  stop(): Promise<void>;
}

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function startController(config: Readonly<ControllerConfig>, opts: { log?: Logger } = {}): Promise<RunningController> {
  const log = opts.log ?? pino({ ...loggerOptions(config.logLevel), base: { component: 'controller' } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(config.dataDir);
  try {
    const running = await startLocked(config, log);
    return { ...running, stop: () => running.stop().finally(() => lock.release()) };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(config: Readonly<ControllerConfig>, log: Logger): Promise<RunningController> {
  const store = await openStore(config, log);
  const registry = createRegistry();
  const repos = new Map<Resource, Repository>(registry.all.map((r) => [r, new Repository(r, store)]));
  const caches = new Map<Resource, WatchCache>(
    registry.all.map((r) => [r, new WatchCache(r, store, { capacity: config.watchCacheSize, log })]),
  );
  let ready = false;
  try {
    await ensureDefaultNamespace(repos.get(registry.namespaces)!);
    for (const c of caches.values()) await c.start();
  } catch (err) {
    await store.close();
    throw err;
  }

  let tls: TlsMaterial | undefined;
  if (config.tls === 'auto') tls = await ensureAutoTls(join(config.dataDir, 'tls'), [...new Set([...servingNames(config.listen.host), ...config.tlsSans])]);
  else if (config.tls === 'files') tls = loadTlsFiles(config.tlsCertFile!, config.tlsKeyFile!);
  const http: Server = createLimitedServer(tls, config, log);
  http.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `${tls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;

  const repo = (r: Resource): RepositoryType => repos.get(r)!;
  const byPlural = (plural: 'users' | 'rolebindings' | 'tokens'): Resource => registry.byPlural('hyprbox.io', plural)!;
  const boot = await bootstrapAdmin(
    { repo: (p) => repo(byPlural(p)), resource: byPlural, now: () => new Date() },
    config.dataDir,
    url,
    tls?.caCert,
    config.resetAdminToken,
  );
  const shuttingDown = new AbortController();
  const health = new StoreHealth(store, { log });
  health.start();
  const index = new AuthIndex(store, log);
  await index.start();
  const signingKey = loadOrCreateSigningKey(config.dataDir);
  const auditor = createAuditor({
    store,
    file: join(config.dataDir, 'audit', 'audit.jsonl'),
    retentionSeconds: config.auditRetentionDays * 86_400,
    fileMaxBytes: config.auditLogMaxSizeMiB * 1024 * 1024,
    fileMaxBackups: config.auditLogMaxBackups,
    log,
  });
  const guard = createGuard({
    index, preset: (p) => index.presets.get(p), registry, repo, log, signingKey, runTtlSeconds: 24 * 3600, now: () => new Date(),
    recordExecution: (req, run) => auditor.record(executionEntry(req, run)),
  });
  // The reconcilers start once the API serves; the metrics read them from then on.
  const later: { reconcilers?: Awaited<ReturnType<typeof startReconcilers>> } = {};
  const metrics = new ControllerMetrics({
    caches: () => [...caches].map(([r, c]) => ({ resource: r.def.plural, watchers: c.watchers, heldBytes: c.heldBytes })),
    currentRevision: () => store.currentRevision(),
    writeFailing: () => store.writeFailure?.() !== undefined,
    reconcile: () => later.reconcilers?.reconciling(),
  });
  const tokens = byPlural('tokens');
  const verifiedTokens = new VerifiedTokens();
  const app = createApp({
    log,
    version: VERSION,
    registry,
    repo,
    cache: (r) => caches.get(r)!,
    guard,
    now: () => new Date(),
    maxWatchBufferBytes: config.maxWatchBufferBytes,
    bodyBudget: new BodyBudget(config.maxBodyMiB * 1024 * 1024, config.maxBodyMiBPerSource * 1024 * 1024, BODY_LIMIT),
    limiter: createAuthLimiter(),
    runLogs: new RunLogs(store),
    audit: auditRecorder(auditor, log),
    metrics,
    authenticate: async (presented) => {
      const found = authenticateToken(index, verifiedTokens, presented, new Date());
      if (!found) return undefined;
      if (found.bindNodeUid) {
        // First use by the agent of an existing Node: from now on the token works for that Node only.
        const current = await repo(tokens).get(undefined, found.token.metadata.name!);
        if (current) {
          const next = structuredClone(current);
          next.status = { ...(next.status as object), nodeUID: found.bindNodeUid };
          try {
            index.apply('tokens', await repo(tokens).update(next, Number(current.metadata.resourceVersion)), false);
          } catch (err) {
            if ((err as { code?: number }).code !== 409) throw err;
          }
        }
      }
      return found.principal;
    },
    verifiedBefore: (presented) => verifiedTokens.knows(presented, index.tokens.get(tokenName(presented) ?? '')),
    readiness: () => [{ name: 'started', ok: ready }, { name: 'store', ok: health.problem === undefined }],
    shutdown: shuttingDown.signal,
    signingPublicKey: signingKey.publicKeyPem,
  });
  http.on('request', app);
  const lifecycle = new NodeLifecycle({
    leases: repo(registry.byPlural('hyprbox.io', 'leases')!),
    nodes: repo(registry.byPlural('hyprbox.io', 'nodes')!),
    events: repo(registry.byPlural('hyprbox.io', 'events')!),
    graceSeconds: config.nodeGraceSeconds,
    intervalMs: Math.min(5000, config.nodeGraceSeconds * 250),
    log,
  });
  lifecycle.start();
  if (existsSync(config.presetsDir)) {
    const synced = await syncCatalog({ dir: config.presetsDir, repo: repo(registry.byPlural('hyprbox.io', 'presets')!), now: () => new Date(), log });
    for (const e of synced.errors) log.error({ catalog: config.presetsDir }, `preset catalog: ${e}`);
    log.info({ created: synced.created.length, updated: synced.updated.length, unchanged: synced.unchanged.length, pinned: synced.pinned.length, errors: synced.errors.length }, 'preset catalog synced');
  }
  const reconcilers = (later.reconcilers = await startReconcilers({
    registry, repo, cache: (r) => caches.get(r)!, leader: soleLeader, now: () => new Date(), log, findingStaleSeconds: config.findingStaleSeconds,
    sign: (run) => signRun(run as unknown as SignableRun & typeof run, signingKey, { now: new Date(), ttlSeconds: 24 * 3600 }),
    signPayload: (payload) => cryptoSign(null, Buffer.from(payload), signingKey.privateKey).toString('base64'),
  }));
  ready = true;
  log.info({ url, store: store.backend, dataDir: config.dataDir }, 'controller listening');
  if (boot.kubeconfigWritten) log.info({ kubeconfig: boot.kubeconfigWritten }, 'admin credentials written');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    ...(tls?.caCert ? { caCert: tls.caCert } : {}),
    store,
    watchers: () => [...caches.values()].reduce((n, c) => n + c.watchers, 0),
    log,
    ...(boot.kubeconfigWritten ? { kubeconfigWritten: boot.kubeconfigWritten } : {}),
    stop() {
      stopping ??= (async () => {
        ready = false;
        shuttingDown.abort();
        health.stop();
        index.stop();
        await lifecycle.stop();
        await reconcilers.stop();
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        for (const c of caches.values()) c.stop();
        http.closeIdleConnections();
        // Connections still busy after a grace period are cut.
        const force = setTimeout(() => http.closeAllConnections(), 5000);
        await closed;
        clearTimeout(force);
        await auditor.close();
        await store.close();
        log.info('controller stopped');
      })();
      return stopping;
    },
  };
}

async function ensureDefaultNamespace(repo: Repository): Promise<void> {
  if (await repo.get(undefined, 'default')) return;
  try {
    await repo.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default', uid: crypto.randomUUID(), creationTimestamp: isoSeconds(new Date()), generation: 1 },
      status: { phase: 'Active' },
    });
  } catch (err) {
    // Another controller created it first.
    if ((err as { code?: number }).code !== 409) throw err;
  }
}
