// The HTTP client of every command: one keep-alive agent per controller, the pinned CA, the bearer token.
// Non-2xx answers become ApiError with the Status' reason and per-field causes.
import http from 'node:http';
import https from 'node:https';
import type { Connection } from './kubeconfig.js';
import { ApiError, CliError, EXIT } from './errors.js';
import type { StatusCause } from './errors.js';

export const GROUP_PATH = '/apis/hyprbox.io/v1alpha1';
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string; uid?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export class Client {
  private readonly agent: http.Agent;
  readonly url: URL;

  constructor(readonly conn: Connection) {
    try {
      this.url = new URL(conn.server);
    } catch {
      throw new CliError(`invalid server URL "${conn.server}" in context "${conn.context}"`, EXIT.usage);
    }
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...(conn.ca ? { ca: conn.ca } : {}) }) : new http.Agent({ keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  path(p: string, query?: RequestOptions['query']): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `${p}?${s}` : p;
  }

  /** Starts a request and resolves with the response stream (for watches and followed logs). */
  open(method: string, path: string, o: RequestOptions = {}): Promise<http.IncomingMessage> {
    const body = o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolvePromise, reject) => {
      const req = lib.request(
        {
          method,
          host: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
          path: this.path(path, o.query),
          agent: this.agent,
          headers: {
            Accept: o.accept ?? 'application/json',
            'User-Agent': 'hyprbox-cli',
            ...(this.conn.token ? { Authorization: `Bearer ${this.conn.token}` } : {}),
            ...(body !== undefined ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}),
          },
        },
        resolvePromise,
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(this.conn.server, err)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async raw(method: string, path: string, o: RequestOptions = {}): Promise<RawResponse> {
    const res = await this.open(method, path, o);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
  }

  /** JSON in, JSON out; a non-2xx answer throws ApiError. */
  async json<T = Obj>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const r = await this.raw(method, path, o);
    if (r.status < 200 || r.status >= 300) throw statusError(r);
    return (r.text ? JSON.parse(r.text) : {}) as T;
  }
}

export function unreachable(server: string, err: NodeJS.ErrnoException): CliError {
  const hint =
    err.code === 'ECONNREFUSED' ? ' (is the controller running? start one with `hyprbox up`)'
    : err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN' ? ' (the server certificate is not signed by the CA in the config)'
    : err.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' (the server certificate does not cover this address)'
    : '';
  return new CliError(`cannot reach the controller at ${server}: ${err.code ?? err.message}${hint}`, EXIT.unavailable);
}

export function statusError(r: RawResponse): ApiError {
  let status: { reason?: string; message?: string; details?: { causes?: StatusCause[] } } = {};
  try {
    status = JSON.parse(r.text) as typeof status;
  } catch {
    /* not a Status: keep the text */
  }
  const message = status.message ?? (r.text.trim() || `HTTP ${r.status}`);
  return new ApiError(r.status, status.reason ?? String(r.status), message, status.details?.causes ?? []);
}

/** Reads a newline-delimited stream (watch events, log lines) as it arrives. */
export async function* lines(res: http.IncomingMessage): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of res) {
    buf += (chunk as Buffer).toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) yield line;
    }
  }
  if (buf.trim()) yield buf;
}
