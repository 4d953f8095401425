// The agent's only way to the controller: @kubernetes/client-node with the node token and the pinned CA.
// Errors are classified so the log says what to do (the seed's troubleshooting section).
//
// Only client-node's request layer and its Watch are loaded, by deep import (the package has no exports map):
// its index, its KubeConfig (config.js) and its informer each import the whole generated client (every API
// class, ~12 MB of source, and 1,000+ model classes), which took a fresh process from ~40 to ~115 MiB of RSS.
// What KubeConfig would add for a token and a CA (a bearer header, an https.Agent with the CA) is done here
// with client-node's own BearerToken auth method; a kubeconfig file, exec, OIDC or cloud auth the agent
// never uses. See docs/AGENT.md#memory.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
import { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
import type { Configuration } from '@kubernetes/client-node/dist/gen/configuration.js';
import { HttpMethod } from '@kubernetes/client-node/dist/gen/http/http.js';
import type { RequestContext, ResponseContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { AgentConfig } from './config.js';

export const GROUP = 'hyprbox.io';
export const VERSION = 'v1alpha1';
export { HttpMethod };

/** A request that does not answer within this time fails (a dead peer must not stall a heartbeat forever). */
const REQUEST_TIMEOUT_MS = 30_000;

/** client-node's middleware shape (e.g. from its setHeaderOptions): `pre` may return an Observable or a Promise. */
export interface RequestOptions {
  middleware?: Array<{ pre(ctx: RequestContext): unknown }>;
}

export interface Request {
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body (serialized here) or text. */
  body?: unknown;
  contentType?: string;
  options?: RequestOptions;
}

/** The controller connection: client-node's configuration (server, bearer token auth, fetch) and one agent. */
export class Kube {
  readonly server: string;
  private readonly config: Configuration;
  /** One keep-alive agent for every request and watch: no TLS handshake per heartbeat. */
  private readonly agent: HttpAgent;

  constructor(c: Pick<AgentConfig, 'apiUrl' | 'token' | 'caPem'>) {
    this.server = c.apiUrl;
    this.config = createConfiguration({ baseServer: new ServerConfiguration(c.apiUrl, {}), authMethods: { BearerToken: `Bearer ${c.token}` } });
    this.agent = c.apiUrl.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, ...(c.caPem ? { ca: c.caPem } : {}) })
      : new HttpAgent({ keepAlive: true });
  }

  /** Sends one request through client-node's http library; a non-2xx answer throws its ApiException. */
  async request(method: HttpMethod, path: string, r: Request = {}): Promise<ResponseContext> {
    const ctx = this.config.baseServer.makeRequestContext(path, method);
    for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    if (r.body !== undefined) {
      ctx.setBody(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      ctx.setHeaderParam('Content-Type', r.contentType ?? 'application/json');
    }
    ctx.setHeaderParam('Accept', 'application/json, */*');
    await this.config.authMethods.BearerToken?.applySecurityAuthentication(ctx);
    ctx.setAgent(this.agent);
    ctx.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    for (const m of r.options?.middleware ?? []) {
      const out = m.pre(ctx) as { toPromise?: () => Promise<unknown> } | undefined;
      await (typeof out?.toPromise === 'function' ? out.toPromise() : out);
    }
    let res: ResponseContext;
    try {
      res = await this.config.httpApi.send(ctx).toPromise();
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw Object.assign(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s (ETIMEDOUT)`), { cause: { code: 'ETIMEDOUT' } });
      throw err;
    }
    if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
      throw new ApiException(res.httpStatusCode, `${method} ${path}`, await res.body.text(), res.headers);
    }
    return res;
  }

  /** A request whose answer is JSON. */
  async json<T>(method: HttpMethod, path: string, r?: Request): Promise<T> {
    const text = await (await this.request(method, path, r)).body.text();
    return JSON.parse(text) as T;
  }

  /** client-node's Watch, given the two things it asks of a KubeConfig: the server and the fetch options. */
  watch(): Watch {
    const source: Pick<KubeConfig, 'getCurrentCluster' | 'applyToFetchOptions'> = {
      getCurrentCluster: () => ({ name: 'hyprbox', server: this.server, skipTLSVerify: false }),
      applyToFetchOptions: async () => {
        const headers: Record<string, string> = {};
        const auth = { setHeaderParam: (k: string, v: string) => (headers[k] = v) };
        await this.config.authMethods.BearerToken?.applySecurityAuthentication(auth as unknown as RequestContext);
        return { agent: this.agent, headers };
      },
    };
    return new Watch(source as KubeConfig);
  }

  /** Closes the idle keep-alive sockets (at stop). */
  close(): void {
    this.agent.destroy();
  }
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
