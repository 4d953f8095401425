// The agent's only way to the controller: @kubernetes/client-node with the node token and the pinned CA.
// Errors are classified so the log says what to do (the seed's troubleshooting section).
import * as k8s from '@kubernetes/client-node';
import type { AgentConfig } from './config.js';

export const GROUP = 'hyprbox.io';
export const VERSION = 'v1alpha1';

export function kubeConfigFor(c: Pick<AgentConfig, 'apiUrl' | 'token' | 'caPem'>): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'hyprbox', server: c.apiUrl, ...(c.caPem ? { caData: Buffer.from(c.caPem).toString('base64') } : {}), skipTLSVerify: false }],
    users: [{ name: 'hyprnode', token: c.token }],
    contexts: [{ name: 'hyprbox', cluster: 'hyprbox', user: 'hyprnode' }],
    currentContext: 'hyprbox',
  });
  return kc;
}

export type ApiFailure = 'unauthorized' | 'forbidden' | 'conflict' | 'notfound' | 'gone' | 'unreachable' | 'other';

export function classify(err: unknown): { kind: ApiFailure; code?: number; message: string } {
  const code = (err as { code?: unknown }).code;
  const body = (err as { body?: unknown }).body;
  const status = typeof code === 'number' ? code : undefined;
  const message = typeof body === 'string' ? safeMessage(body) : (err as Error).message ?? String(err);
  switch (status) {
    case 401: return { kind: 'unauthorized', code: 401, message };
    case 403: return { kind: 'forbidden', code: 403, message };
    case 404: return { kind: 'notfound', code: 404, message };
    case 409: return { kind: 'conflict', code: 409, message };
    case 410: return { kind: 'gone', code: 410, message };
  }
  if (status === undefined && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|socket hang up|fetch failed|certificate|self.signed|UNABLE_TO_VERIFY/i.test(`${message} ${(err as { cause?: { code?: string } }).cause?.code ?? ''}`)) {
    return { kind: 'unreachable', message };
  }
  return { kind: 'other', ...(status !== undefined ? { code: status } : {}), message };
}

function safeMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** One line a person can act on, for the log. */
export function advice(kind: ApiFailure, c: Pick<AgentConfig, 'apiUrl' | 'nodeName' | 'namespace'>): string {
  switch (kind) {
    case 'unauthorized':
      return 'the controller refused the token (401): it is missing, invalid, expired or revoked, or its node was deleted. Ask an admin for a new agent token for this node and set HYPRBOX_NODE_TOKEN.';
    case 'forbidden':
      return `the token is not for this node (403): it is bound to another node or namespace than ${c.namespace}/${c.nodeName}. Set HYPRBOX_NODE_NAME/HYPRBOX_NAMESPACE to the token's node, or get a token for this one.`;
    case 'unreachable':
      return `the controller at ${c.apiUrl} is unreachable (or its certificate is not the pinned CA). Test with: curl --cacert <ca> ${c.apiUrl}/healthz from this host. Retrying with backoff.`;
    default:
      return 'unexpected answer from the controller; retrying with backoff.';
  }
}
