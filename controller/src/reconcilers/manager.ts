// Starts the reconcilers once this replica leads: informers for the kinds they read, one work queue each,
// and the event wiring (a node change re-evaluates the profiles of its namespace, a preset change the
// profiles using it, a run change its profile and its approval).
import type { Logger } from 'pino';
import type { Reconciling } from '../metrics.js';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Registry, Resource } from '../api/resource.js';
import type { WatchCache } from '../api/watch-cache.js';
import { runController } from '../reconcile/controller.js';
import { Informer, keyOf } from '../reconcile/informer.js';
import type { LeaderElector } from '../reconcile/leader.js';
import { WorkQueue } from '../reconcile/queue.js';
import { ApprovalReconciler } from './approval.js';
import { NodeChecksReconciler } from './node-checks.js';
import { FindingReconciler } from './finding.js';
import { startPostgresBackup } from './postgres-backup.js';
import { NodeProfileReconciler } from './nodeprofile.js';
import type { ProfileSpec } from './nodeprofile.js';

export interface ManagerDeps {
  registry: Registry;
  repo(r: Resource): Repository;
  cache(r: Resource): WatchCache;
  sign(run: Obj): Obj;
  /** Seconds after which a scanner finding its node stopped reporting is resolved. */
  findingStaleSeconds: number;
  /** Signs a payload with the controller's key (base64 ed25519). */
  signPayload(payload: string): string;
  leader: LeaderElector;
  now(): Date;
  log: Logger;
}

export async function startReconcilers(d: ManagerDeps): Promise<{ stop(): Promise<void>; reconciling(): Reconciling }> {
  await d.leader.campaign(() => d.log.error('lost leadership; reconcilers stop'));
  const res = (plural: string): Resource => d.registry.byPlural('hyprbox.io', plural)!;
  const informer = (plural: string): Informer => new Informer(d.repo(res(plural)), d.cache(res(plural)), d.log);
  const profiles = informer('nodeprofiles');
  const nodes = informer('nodes');
  const presets = informer('presets');
  const runs = informer('runs');
  const findings = informer('findings');
  const findingQueue = new WorkQueue();
  findings.on((f) => findingQueue.add(keyOf(f)));
  const profileQueue = new WorkQueue();
  const approvalQueue = new WorkQueue();
  const checksQueue = new WorkQueue();
  const nodesIn = (ns: string | undefined): void => nodes.list(ns).forEach((n) => checksQueue.add(keyOf(n)));

  const profilesIn = (ns: string | undefined): void => profiles.list(ns).forEach((p) => profileQueue.add(keyOf(p)));
  // A profile's own status writes do not re-trigger it: only spec (generation) and annotation changes do.
  profiles.on((p, event, prev) => {
    if (event === 'modified' && prev && prev.metadata.generation === p.metadata.generation && JSON.stringify(prev.metadata.annotations ?? {}) === JSON.stringify(p.metadata.annotations ?? {})) return;
    profileQueue.add(keyOf(p));
    nodesIn(p.metadata.namespace);
  });
  nodes.on((n) => {
    profilesIn(n.metadata.namespace);
    checksQueue.add(keyOf(n));
  });
  presets.on((p) => {
    const using = profiles.list().filter((pr) => (pr.spec as ProfileSpec).states?.some((s) => s.preset === p.metadata.name));
    using.forEach((pr) => profileQueue.add(keyOf(pr)));
    // A preset that resolves a type becomes the recommendation of findings of that type.
    const resolves = new Set(((p.spec as { resolves?: string[] } | undefined)?.resolves) ?? []);
    findings.list().filter((f) => resolves.has((f.spec as { type: string }).type)).forEach((f) => findingQueue.add(keyOf(f)));
    new Set(using.map((pr) => pr.metadata.namespace)).forEach((ns) => nodesIn(ns));
  });
  runs.on((r) => {
    approvalQueue.add(keyOf(r));
    const profile = r.metadata.labels?.['hyprbox.io/profile'];
    if (profile) profileQueue.add(`${r.metadata.namespace}/${profile}`);
  });
  for (const i of [presets, nodes, runs, profiles, findings]) await i.start();

  // A finding written by a profile's reconcile brings that profile back once the cache has it.
  findings.on((f) => {
    const profile = (f.spec as { profile?: string }).profile;
    if (profile) profileQueue.add(`${f.metadata.namespace}/${profile}`);
  });
  const np = new NodeProfileReconciler({
    profiles, nodes, presets, runs, findings,
    repos: { profiles: d.repo(res('nodeprofiles')), findings: d.repo(res('findings')), runs: d.repo(res('runs')), events: d.repo(res('events')) },
    sign: d.sign, now: d.now, log: d.log.child({ reconciler: 'nodeprofile' }),
  });
  const approval = new ApprovalReconciler({ runs, profiles, repo: d.repo(res('runs')), sign: d.sign, log: d.log.child({ reconciler: 'approval' }) });
  const checks = new NodeChecksReconciler({ nodes, profiles, presets, repo: d.repo(res('nodes')), sign: d.signPayload });
  const finding = new FindingReconciler({ findings, presets, repo: d.repo(res('findings')), staleSeconds: d.findingStaleSeconds, now: d.now });
  const controllers = [runController(np, profileQueue, d.log), runController(approval, approvalQueue, d.log), runController(checks, checksQueue, d.log), runController(finding, findingQueue, d.log),
    startPostgresBackup({ nodes, profiles, findings, repo: d.repo(res('findings')), now: d.now, log: d.log })];
  const queues = { nodeprofiles: profileQueue, approvals: approvalQueue, checks: checksQueue, findings: findingQueue };
  return {
    reconciling: () => ({
      nodes: nodes.list(), findings: findings.list(), runs: runs.list(),
      queues: Object.entries(queues).map(([name, q]) => ({ name, depth: q.depth, failing: q.failing })),
    }),
    async stop() {
      for (const i of [profiles, nodes, presets, runs, findings]) i.stop();
      await Promise.all(controllers.map((c) => c.stop()));
      await d.leader.resign();
    },
  };
}
