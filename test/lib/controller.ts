// Starts a real controller (HTTP on a free loopback port) on a fresh data directory, with the SQLite store
// or a real etcd, and gives tests its URL, admin token and kubeconfig.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import { startEtcd } from './etcd-server.js';
import type { EtcdServer } from './etcd-server.js';

export type Backend = 'sqlite' | 'etcd';

export interface TestController {
  backend: Backend;
  url: string;
  token: string;
  kubeconfig: string;
  dataDir: string;
  /** The etcd the controller uses (etcd backend only). */
  etcdEndpoints?: string[];
  etcd?: EtcdServer;
  controller: RunningController;
  /** fetch against the API with the admin token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** A JSON request as admin; resent when a controller restart cuts it (a pooled socket hangs up). */
  json<T = Record<string, unknown>>(method: string, path: string, body?: unknown, type?: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** `opts.dataDir`: start on this data directory (a restored one) instead of a fresh one; stop() removes it too. */
export async function startTestController(backend: Backend, extraArgs: string[] = [], opts: { dataDir?: string } = {}): Promise<TestController> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'hyprbox-test-'));
  const etcd = backend === 'etcd' ? await startEtcd() : undefined;
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--store', backend, ...extraArgs];
  if (etcd) args.push('--etcd-endpoints', etcd.endpoints.join(','));
  const config = loadConfig(args, {});
  const controller = await startController(config, { log: pino({ level: process.env.HYPRBOX_TEST_LOG ?? 'silent' }) });
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> };
  const token = kc.users[0]!.user.token;
  const api = (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }
    return send(controller.url + path, init.method ?? 'GET', headers, body as string | undefined, controller.caCert);
  };
  return {
    backend,
    url: controller.url,
    token,
    kubeconfig,
    dataDir,
    ...(etcd ? { etcdEndpoints: etcd.endpoints, etcd } : {}),
    controller,
    api,
    async json<T>(method: string, path: string, body?: unknown, type = 'application/json') {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await api(path, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': type } } : {}) });
          const text = await res.text();
          return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
        } catch (err) {
          if (attempt >= 20 || !/socket hang up|ECONNRESET|ECONNREFUSED/.test(`${(err as Error).message} ${(err as { code?: string }).code ?? ''}`)) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async stop() {
      await controller.stop();
      await etcd?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** fetch-like request that trusts the controller's own CA (Node's fetch cannot be given one). */
export function send(url: string, method: string, headers: Headers, body: string | undefined, ca?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    // The path goes out exactly as given (no dot-segment normalisation), as a hostile client would send it.
    const path = url.slice(u.origin.length);
    // node:http frames no body on DELETE by itself: say its length, as every real client does.
    if (body !== undefined && !headers.has('Content-Length')) headers.set('Content-Length', String(Buffer.byteLength(body)));
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      { protocol: u.protocol, hostname: u.hostname, port: u.port, path, method, headers: Object.fromEntries(headers.entries()), ...(ca ? { ca } : {}) },
      (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        const stream = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
        resolve(new Response(res.statusCode === 204 ? null : stream, { status: res.statusCode ?? 0, headers: h }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
