// First start: an admin token is created, its hash kept in the store (shared by every controller on the same
// etcd), and the plaintext written once into an owner-only kubeconfig. Later starts reuse the hash.
import { writeFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Store } from '../store/types.js';
import { hashToken, newToken } from './tokens.js';

export const ADMIN_TOKEN_KEY = '/hyprbox/bootstrap/admin-token';

export interface BootstrapResult {
  /** SHA-256 (hex) of the admin token. */
  adminTokenHash: string;
  /** Path of the kubeconfig written on this start, if one was. */
  kubeconfigWritten?: string;
}

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

export async function bootstrapAdmin(store: Store, dataDir: string, serverUrl: string, caPem?: string): Promise<BootstrapResult> {
  const existing = await store.get(ADMIN_TOKEN_KEY);
  if (existing) return { adminTokenHash: existing.value };
  const token = newToken();
  const hash = hashToken(token);
  const r = await store.create(ADMIN_TOKEN_KEY, hash);
  // Another controller on the same etcd won the race: use its token.
  if (!r.ok) return { adminTokenHash: r.current!.value };
  const path = join(dataDir, 'admin.kubeconfig');
  if (existsSync(path)) renameSync(path, `${path}.old`);
  writeSecretFile(path, kubeconfig(serverUrl, token, caPem ? { caData: Buffer.from(caPem).toString('base64') } : {}));
  return { adminTokenHash: hash, kubeconfigWritten: path };
}
