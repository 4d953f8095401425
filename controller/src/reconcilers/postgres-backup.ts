// postgres.no-backup, computed on the controller: a PostgreSQL container holding data (a volume) on a node whose
// NodeProfiles declare no postgres-backup state. One finding per container (key `container:<name>`); it
// resolves when a profile matching the node gains a postgres-backup state or the container is gone.
//
// A false positive here is a severe bug (the fix initialises a restic repository), so it fires only on what
// is certain: the node's agent listed its containers (Docker answered: inventory.containers is present), the
// image is PostgreSQL's, the container has a volume, and no profile matching the node — suspended or not —
// has a postgres-backup state (the preset takes no container parameter, so such a state covers them all).
// When Docker does not answer, nothing new is opened and nothing is resolved.
import type { Logger } from 'pino';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import { keyOf } from '../reconcile/informer.js';
import type { Informer } from '../reconcile/informer.js';
import { runController } from '../reconcile/controller.js';
import type { Result } from '../reconcile/controller.js';
import { WorkQueue } from '../reconcile/queue.js';
import { POSTGRES_NO_BACKUP } from '@hyprbox/crds';
import { ensureFinding, resolveFinding } from './findings.js';
import { matchesProfile } from './nodeprofile.js';
import type { ProfileSpec } from './nodeprofile.js';

/** The preset whose state counts as a backup (presets/postgres-backup.yaml). */
export const BACKUP_PRESET = 'postgres-backup';

interface Container {
  name: string;
  image: string;
  volumes?: string[];
}

/** `postgres:16`, `docker.io/library/postgres@sha256:...`, `bitnami/postgresql`, `postgis/postgis:16-3.4` → true. */
export function isPostgresImage(image: string): boolean {
  const repo = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const base = repo.split('/').pop() ?? '';
  return /^(postgres|postgresql|postgis)$/.test(base);
}

/** The containers that need a backup on this node, or undefined when its agent could not list them. */
export function postgresContainers(node: Obj): Container[] | undefined {
  const containers = (node.status as { inventory?: { containers?: Container[] } } | undefined)?.inventory?.containers;
  if (!Array.isArray(containers)) return undefined;
  return containers.filter((c) => isPostgresImage(c.image) && (c.volumes ?? []).length > 0);
}

/** Names of the profiles matching the node that declare a postgres-backup state. */
export function backupProfiles(node: Obj, profiles: Obj[]): string[] {
  return profiles
    .filter((p) => !p.metadata.deletionTimestamp && matchesProfile(p.spec as ProfileSpec, node))
    .filter((p) => ((p.spec as ProfileSpec).states ?? []).some((s) => s.preset === BACKUP_PRESET))
    .map((p) => p.metadata.name!);
}

export class PostgresBackupReconciler {
  readonly name = 'postgres-backup';
  constructor(private readonly d: { nodes: Informer; profiles: Informer; findings: Informer; repo: Repository; now(): Date }) {}

  /** Key: a node (`<namespace>/<name>`). */
  async reconcile(key: string): Promise<Result | void> {
    const [ns, nodeName] = key.split('/') as [string, string];
    const now = this.d.now();
    const open = this.d.findings.list(ns).filter((f) => {
      const s = f.spec as { type: string; nodeName: string };
      return s.type === POSTGRES_NO_BACKUP && s.nodeName === nodeName && (f.status as { phase?: string } | undefined)?.phase !== 'Resolved';
    });
    const resolve = async (k: string, why: string): Promise<void> => resolveFinding(this.d.repo, ns, nodeName, POSTGRES_NO_BACKUP, k, now, why);
    const node = this.d.nodes.get(key);
    if (!node || node.metadata.deletionTimestamp) {
      for (const f of open) await resolve((f.spec as { key: string }).key, 'the node is gone');
      return;
    }
    const containers = postgresContainers(node);
    if (containers === undefined) return; // Docker did not answer: neither open nor resolve anything
    const covered = backupProfiles(node, this.d.profiles.list(ns));
    const wanted = new Set<string>();
    if (covered.length === 0) {
      for (const c of containers) {
        const k = `container:${c.name}`;
        wanted.add(k);
        await ensureFinding(this.d.repo, ns, {
          nodeName, type: POSTGRES_NO_BACKUP, key: k, severity: 'CRITICAL', source: 'controller',
          message: `PostgreSQL container ${c.name} (${c.image}) keeps data in ${c.volumes!.join(', ')} and no profile of this node backs it up (add a postgres-backup state)`,
          details: { container: c.name, image: c.image, volumes: c.volumes },
        }, 'Open', now);
      }
    }
    for (const f of open) {
      const k = (f.spec as { key: string }).key;
      if (wanted.has(k)) continue;
      await resolve(k, covered.length ? `backed up by the postgres-backup state of profile ${covered.join(', ')}` : 'the container is gone');
    }
  }
}

/**
 * Wires the reconciler: a node is re-examined when it changes (its inventory) and every node of a namespace
 * when one of its profiles' spec or labels change (a postgres-backup state added or removed).
 */
export function startPostgresBackup(d: { nodes: Informer; profiles: Informer; findings: Informer; repo: Repository; now(): Date; log: Logger }): { stop(): Promise<void> } {
  const queue = new WorkQueue();
  d.nodes.on((n) => queue.add(keyOf(n)));
  d.profiles.on((p, event, prev) => {
    if (event === 'modified' && prev?.metadata.generation === p.metadata.generation) return;
    d.nodes.list(p.metadata.namespace).forEach((n) => queue.add(keyOf(n)));
  });
  d.nodes.list().forEach((n) => queue.add(keyOf(n)));
  return runController(new PostgresBackupReconciler(d), queue, d.log.child({ reconciler: 'postgres-backup' }));
}
