// The first start's admin credential, and kubeconfig files.
import { writeFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { admitCreate } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Resource } from '../api/resource.js';
import { hashToken, newToken } from './tokens.js';

export function kubeconfig(server: string, token: string, opts: { caData?: string; context?: string } = {}): string {
  const name = opts.context ?? 'hyprbox';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, ...(opts.caData ? { 'certificate-authority-data': opts.caData } : {}) } }],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
  });
}

/** Writes a file readable only by its owner, atomically (never a half-written credential). */
export function writeSecretFile(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

export interface BootstrapResult {
  /** Path of the kubeconfig written on this start, if one was. */
  kubeconfigWritten?: string;
}

export interface BootstrapDeps {
  repo(plural: 'users' | 'rolebindings' | 'tokens'): Repository;
  resource(plural: 'users' | 'rolebindings' | 'tokens'): Resource;
  now(): Date;
}

/**
 * First start: the `admin` user, a cluster-wide admin binding, and one token for it written into an
 * owner-only kubeconfig. Each piece is created only when missing, so a start interrupted half-way finishes
 * the job on the next one; a controller joining an etcd that already has them creates nothing.
 */
export async function bootstrapAdmin(deps: BootstrapDeps, dataDir: string, serverUrl: string, caPem?: string, reset = false): Promise<BootstrapResult> {
  const create = async (plural: 'users' | 'rolebindings' | 'tokens', body: Record<string, unknown>): Promise<void> => {
    const { obj } = admitCreate(deps.resource(plural), body, { namespace: undefined, fieldValidation: 'Strict', now: deps.now() });
    await deps.repo(plural).create(obj).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
  };
  const api = 'hyprbox.io/v1alpha1';
  if (!(await deps.repo('users').get(undefined, 'admin'))) {
    await create('users', { apiVersion: api, kind: 'User', metadata: { name: 'admin' }, spec: { displayName: 'Administrator (created on first start)' } });
  }
  if (!(await deps.repo('rolebindings').get(undefined, 'admin-cluster-admin'))) {
    await create('rolebindings', { apiVersion: api, kind: 'RoleBinding', metadata: { name: 'admin-cluster-admin' }, spec: { user: 'admin', role: 'admin' } });
  }
  const tokens = await deps.repo('tokens').list({ namespace: undefined, filter: (t) => (t.spec as { user?: string }).user === 'admin' });
  if (reset) {
    // Lost credentials: whoever can start the controller on its data directory replaces them.
    for (const t of tokens.items) {
      const next = structuredClone(t);
      (next.spec as { revoked?: boolean }).revoked = true;
      await deps.repo('tokens').update(next, Number(t.metadata.resourceVersion));
    }
  } else if (tokens.items.length > 0) return {};
  const { name, token } = newToken();
  const { obj } = admitCreate(deps.resource('tokens'), { apiVersion: api, kind: 'Token', metadata: { name }, spec: { user: 'admin', description: 'created on first start' } }, { namespace: undefined, fieldValidation: 'Strict', now: deps.now() });
  obj.status = { sha256: hashToken(token) };
  await deps.repo('tokens').create(obj);
  const path = join(dataDir, 'admin.kubeconfig');
  if (existsSync(path)) renameSync(path, `${path}.old`);
  writeSecretFile(path, kubeconfig(serverUrl, token, caPem ? { caData: Buffer.from(caPem).toString('base64') } : {}));
  return { kubeconfigWritten: path };
}
