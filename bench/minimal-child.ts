// Child process of bench/api.ts: the least any HTTP server in Node can do per write over our store, as the
// ceiling for row b. Plain node:http; POST /min/<name> creates, PUT /min/<name> replaces the object if its
// metadata.resourceVersion is current. Only: read the body, JSON.parse, getForWrite, compare, update,
// JSON.stringify the answer. No authentication, validation, admission, audit, watch cache or logging.
// Reports { url, pid } over IPC.
// Usage: node minimal-child.js sqlite <file> | etcd <endpoints>
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEtcdStore } from '@hyprbox/controller/store/etcd';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import type { Store } from '@hyprbox/controller/store/types';

interface Obj {
  metadata: { name: string; resourceVersion?: string };
}

const PREFIX = '/bench/minimal/';

function answer(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function handle(store: Store, req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
  const name = (req.url ?? '').slice('/min/'.length);
  const obj = JSON.parse(raw.toString('utf8')) as Obj;
  const rv = obj.metadata.resourceVersion;
  delete obj.metadata.resourceVersion;
  const key = PREFIX + name;
  if (req.method === 'POST') {
    const r = await store.create(key, JSON.stringify(obj));
    if (!r.ok) return answer(res, 409, { reason: 'AlreadyExists' });
    obj.metadata.resourceVersion = String(r.kv.modRevision);
    return answer(res, 201, obj);
  }
  const { kv } = await store.getForWrite(key);
  if (!kv) return answer(res, 404, { reason: 'NotFound' });
  if (String(kv.modRevision) !== rv) return answer(res, 409, { reason: 'Conflict' });
  const r = await store.update(key, JSON.stringify(obj), kv.modRevision);
  if (!r.ok) return answer(res, 409, { reason: 'Conflict' });
  obj.metadata.resourceVersion = String(r.kv.modRevision);
  answer(res, 200, obj);
}

async function main(): Promise<void> {
  const [backend, where] = process.argv.slice(2);
  if (!where || (backend !== 'sqlite' && backend !== 'etcd')) throw new Error('usage: minimal-child sqlite <file> | etcd <endpoints>');
  const store = backend === 'etcd' ? await createEtcdStore({ endpoints: where.split(',') }) : createSqliteStore({ file: where });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(store, req, res, Buffer.concat(chunks)).catch((err: unknown) => answer(res, 500, { message: String(err) }));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send!({ url: `http://127.0.0.1:${port}`, pid: process.pid });
  });
  const stop = (): void => {
    server.close(() => void store.close().finally(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`minimal-child: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
