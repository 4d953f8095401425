// The audit trail: mutating and denied requests become AuditEvents in the store (expiring after the retention)
// and JSON lines in the audit log (owner-only), in order, with metadata only — never a body.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { DNS1123_SUBDOMAIN, createValidator, loadResources } from '@hyprbox/crds';
import type { AuditEvent } from '@hyprbox/crds';
import { AUDIT_PREFIX, createAuditor } from '@hyprbox/controller/audit/auditor';
import type { Auditor } from '@hyprbox/controller/audit/auditor';
import { auditRecorder, targetFromPath } from '@hyprbox/controller/audit/recorder';
import { responseCode } from '@hyprbox/controller/api/http';
import { Repository } from '@hyprbox/controller/api/repository';
import { createRegistry } from '@hyprbox/controller/api/resource';
import type { RequestAttributes } from '@hyprbox/controller/api/handlers';
import type {} from '@hyprbox/controller/api/app'; // declares req.user, req.id, req.attributes, req.denyReason
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { MAX_CREATE_MANY } from '@hyprbox/controller/store/types';
import type { Store } from '@hyprbox/controller/store/types';
import { sleep, until } from '../lib/wait.js';

const SECRET = 'S3CRET-MARKER-do-not-log-7f1c';
const registry = createRegistry();
const auditDef = loadResources().find((d) => d.kind === 'AuditEvent')!;

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hyprbox-audit-'));
  dirs.push(dir);
  return dir;
};

/** A pino logger whose records the test can read. */
function capturingLog(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      records.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), records };
}

interface Fixture {
  store: Store;
  auditor: Auditor;
  file: string;
  dir: string;
  records: Array<Record<string, unknown>>;
  lines(): AuditEvent[];
  stored(): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

function fixture(o: { retentionSeconds?: number; store?: (s: Store) => Store; now?: () => Date; fileMaxBytes?: number; fileMaxBackups?: number } = {}): Fixture {
  const dir = freshDir();
  const real = createSqliteStore({ file: join(dir, 'store.db'), maintenanceIntervalMs: 100 });
  const store = o.store ? o.store(real) : real;
  const file = join(dir, 'logs', 'audit', 'audit.jsonl');
  const { log, records } = capturingLog();
  const { fileMaxBytes, fileMaxBackups } = o;
  const auditor = createAuditor({ store, file, retentionSeconds: o.retentionSeconds ?? 3600, log, ...(o.now ? { now: o.now } : {}), ...(fileMaxBytes ? { fileMaxBytes } : {}), ...(fileMaxBackups ? { fileMaxBackups } : {}) });
  return {
    store,
    auditor,
    file,
    dir,
    records,
    lines: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent) : []),
    async stored() {
      const r = await real.range(AUDIT_PREFIX);
      return r.kvs.map((kv) => JSON.parse(kv.value) as AuditEvent);
    },
    async close() {
      await auditor.close();
      await real.close();
    },
  };
}

/** The users of the fake authentication: `Authorization: Bearer <name>`. */
type User = NonNullable<Request['user']>;
const asUser = (u: object): User => u as User;
const USERS: Record<string, User> = {
  alice: asUser({ kind: 'User', name: 'alice' }),
  agent: asUser({ kind: 'Node', name: 'node:acme/web-1', node: { namespace: 'acme', name: 'web-1' }, token: 'hb_abc' }),
  bob: asUser({ name: 'bob' }), // no kind: read as a User
};

/**
 * An app shaped like the controller's: request id → audit → authentication (401) → body → a stand-in for the
 * resource handler that sets req.attributes from the real registry, then denies (bob: 403, flood: 429),
 * fails or answers.
 */
async function serve(auditor: Auditor): Promise<{ url: string; server: Server; hold: Map<string, () => void> }> {
  const app = express();
  const hold = new Map<string, () => void>();
  app.use((req, res, next) => {
    req.id = randomUUID();
    res.setHeader('Audit-Id', req.id);
    next();
  });
  const record = auditRecorder(auditor);
  // Armed as the controller's front arms it: with the URL as it arrived, on the response's 'close'.
  app.use((req, res, next) => {
    const url = req.url;
    res.once('close', () => record(req, responseCode(res), url));
    next();
  });
  app.use((req, res, next) => {
    if (req.path === '/healthz') return next();
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const user = m ? USERS[m[1]!] : undefined;
    if (!user) {
      req.denyReason = m ? 'invalid token' : 'no bearer token';
      res.status(401).json({ kind: 'Status', code: 401 });
      return;
    }
    req.user = user;
    next();
  });
  app.use(express.raw({ type: () => true, limit: '1mb' }));
  app.get('/healthz', (_req, res) => void res.send('ok'));
  app.all(/^\/apis\/hyprbox\.io\/v1alpha1\/.*/, (req: Request, res: Response, next: NextFunction) => {
    const t = targetFromPath(req.method, req.path, req.query['watch'] === 'true');
    const resource = registry.byPlural('hyprbox.io', t.resource);
    if (!resource) return next();
    req.attributes = {
      verb: t.verb,
      resource,
      ...(t.namespace ? { namespace: t.namespace } : {}),
      ...(t.name ? { name: t.name } : {}),
      ...(t.subresource ? { subresource: 'status' } : {}),
    } as RequestAttributes;
    if (req.user!.name === 'bob') return void res.status(403).json({ kind: 'Status', code: 403 });
    if (req.headers['x-test'] === 'flood') req.denyReason = 'too many requests from alice';
    if (req.headers['x-test'] === 'flood') return void res.status(429).set('Retry-After', '1').json({ kind: 'Status', code: 429 });
    if (req.headers['x-test'] === 'conflict') return void res.status(409).json({ kind: 'Status', code: 409 });
    if (req.headers['x-test'] === 'hold') {
      hold.set(t.name ?? '', () => res.status(200).json({}));
      return;
    }
    res.status(req.method === 'POST' ? 201 : 200).json({ kind: 'Whatever', echo: req.body instanceof Buffer ? req.body.length : 0 });
  });
  app.use((_req, res) => void res.status(404).json({ kind: 'Status', code: 404 }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hold };
}

const stop = (server: Server): Promise<void> => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
};

async function call(url: string, method: string, path: string, o: { user?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; id: string }> {
  const headers: Record<string, string> = { 'User-Agent': 'audit-test/1.0', ...o.headers };
  if (o.user) headers['Authorization'] = `Bearer ${o.user}`;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  await res.arrayBuffer();
  return { status: res.status, id: res.headers.get('audit-id') ?? '' };
}

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/acme/nodes';

describe('controller/audit', () => {
  describe('the recorder, armed as the front arms it', () => {
    let f: Fixture;
    let url: string;
    let server: Server;
    let hold: Map<string, () => void>;
    beforeEach(async () => {
      f = fixture();
      ({ url, server, hold } = await serve(f.auditor));
    });
    afterEach(async () => {
      await stop(server);
      await f.close();
    });

    it('records every mutating request with every field, in the store and in the file alike', async () => {
      const created = await call(url, 'POST', NODES, { user: 'alice', body: { metadata: { name: 'web-1' } } });
      const updated = await call(url, 'PUT', `${NODES}/web-1`, { user: 'alice', body: { metadata: { name: 'web-1' } } });
      const status = await call(url, 'PATCH', `${NODES}/web-1/status`, { user: 'agent', body: { status: {} }, headers: { 'User-Agent': 'hyprnode/0.1' } });
      const deleted = await call(url, 'DELETE', '/apis/hyprbox.io/v1alpha1/presets/p1', { user: 'alice' });
      const collection = await call(url, 'DELETE', NODES, { user: 'alice' });
      const failed = await call(url, 'POST', NODES, { user: 'alice', body: {}, headers: { 'x-test': 'conflict' } });
      expect([created, updated, status, deleted, collection, failed].map((r) => r.status)).to.deep.equal([201, 200, 200, 200, 200, 409]);
      await f.auditor.flush();

      const lines = f.lines();
      const common = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'AuditEvent', userAgent: 'audit-test/1.0' };
      const alice = { name: 'alice', kind: 'User' };
      const strip = ({ metadata: _m, time: _t, sourceAddress: _s, ...rest }: AuditEvent) => rest;
      expect(lines.map(strip)).to.deep.equal([
        { ...common, user: alice, verb: 'create', resource: 'nodes', namespace: 'acme', path: NODES, code: 201, requestId: created.id },
        { ...common, user: alice, verb: 'update', resource: 'nodes', namespace: 'acme', name: 'web-1', path: `${NODES}/web-1`, code: 200, requestId: updated.id },
        {
          ...common, user: { name: 'node:acme/web-1', kind: 'Node', node: 'acme/web-1' }, verb: 'patch', resource: 'nodes', subresource: 'status',
          namespace: 'acme', name: 'web-1', path: `${NODES}/web-1/status`, code: 200, requestId: status.id, userAgent: 'hyprnode/0.1',
        },
        { ...common, user: alice, verb: 'delete', resource: 'presets', name: 'p1', path: '/apis/hyprbox.io/v1alpha1/presets/p1', code: 200, requestId: deleted.id },
        { ...common, user: alice, verb: 'deletecollection', resource: 'nodes', namespace: 'acme', path: NODES, code: 200, requestId: collection.id },
        { ...common, user: alice, verb: 'create', resource: 'nodes', namespace: 'acme', path: NODES, code: 409, requestId: failed.id, reason: 'Conflict' },
      ]);
      for (const ev of lines) {
        expect(ev.sourceAddress).to.match(/^(::ffff:)?127\.0\.0\.1$/);
        expect(ev.metadata.name).to.match(DNS1123_SUBDOMAIN);
        expect(ev.metadata.name).to.match(/^\d{17}-[0-9a-z]{8}$/);
        expect(ev.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
        expect(ev.metadata.generation).to.equal(1);
        expect(ev.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(new Date(ev.time).toISOString()).to.equal(ev.time);
        expect(createValidator(auditDef).validate(ev as unknown as Record<string, unknown>), ev.metadata.name).to.deep.equal([]);
        expect(createValidator(auditDef).unknownFields(ev as unknown as Record<string, unknown>)).to.deep.equal([]);
      }
      // The same objects in the store, in the same order (names sort by time, then by order of recording).
      expect(await f.stored()).to.deep.equal(lines);
      expect(lines.map((l) => l.metadata.name)).to.deep.equal(lines.map((l) => l.metadata.name).sort());
    });

    it('records denials (401 before routing, 403, 429), including reads, and not successful reads', async () => {
      const reads = [
        await call(url, 'GET', NODES, { user: 'alice' }),
        await call(url, 'GET', `${NODES}/web-1`, { user: 'alice' }),
        await call(url, 'GET', `${NODES}?watch=true`, { user: 'alice' }),
        await call(url, 'GET', '/healthz'),
        await call(url, 'GET', '/apis/hyprbox.io/v1alpha1/nothing', { user: 'alice' }),
      ];
      expect(reads.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 404]);
      const noToken = await call(url, 'GET', `${NODES}?watch=1`);
      const badToken = await call(url, 'DELETE', '/api/v1/namespaces/acme', { user: 'mallory' });
      const forbidden = await call(url, 'GET', `${NODES}/web-1`, { user: 'bob' });
      const forbiddenWrite = await call(url, 'POST', NODES, { user: 'bob', body: {} });
      const limited = await call(url, 'GET', NODES, { user: 'alice', headers: { 'x-test': 'flood' } });
      const discovery = await call(url, 'GET', '/apis');
      expect([noToken, badToken, forbidden, forbiddenWrite, limited, discovery].map((r) => r.status)).to.deep.equal([401, 401, 403, 403, 429, 401]);
      await f.auditor.flush();

      const strip = ({ metadata: _m, time: _t, sourceAddress: _s, apiVersion: _a, kind: _k, userAgent: _u, ...rest }: AuditEvent) => rest;
      expect(f.lines().map(strip)).to.deep.equal([
        { verb: 'watch', resource: 'nodes', namespace: 'acme', path: NODES, code: 401, requestId: noToken.id, reason: 'no bearer token' },
        { verb: 'delete', resource: 'namespaces', name: 'acme', path: '/api/v1/namespaces/acme', code: 401, requestId: badToken.id, reason: 'invalid token' },
        { user: { name: 'bob', kind: 'User' }, verb: 'get', resource: 'nodes', namespace: 'acme', name: 'web-1', path: `${NODES}/web-1`, code: 403, requestId: forbidden.id, reason: 'Forbidden' },
        { user: { name: 'bob', kind: 'User' }, verb: 'create', resource: 'nodes', namespace: 'acme', path: NODES, code: 403, requestId: forbiddenWrite.id, reason: 'Forbidden' },
        { user: { name: 'alice', kind: 'User' }, verb: 'list', resource: 'nodes', namespace: 'acme', path: NODES, code: 429, requestId: limited.id, reason: 'too many requests from alice' },
        { verb: 'get', resource: '', path: '/apis', code: 401, requestId: discovery.id, reason: 'no bearer token' },
      ]);
      expect((await f.stored()).map((e) => e.requestId)).to.deep.equal(f.lines().map((e) => e.requestId));
    });

    it('never records a body, in the file or in the store', async () => {
      await call(url, 'POST', NODES, { user: 'alice', body: { metadata: { name: 'web-2' }, spec: { password: SECRET } } });
      await call(url, 'PUT', `${NODES}/web-2`, { user: 'bob', body: { spec: { token: SECRET } } });
      await call(url, 'PATCH', `${NODES}/web-2`, { body: { spec: { key: SECRET } } });
      await f.auditor.flush();
      expect(f.lines()).to.have.length(3);
      expect(readFileSync(f.file, 'utf8')).to.not.include(SECRET);
      const raw = await f.store.range(AUDIT_PREFIX);
      expect(raw.kvs).to.have.length(3);
      for (const kv of raw.kvs) expect(kv.value).to.not.include(SECRET);
    });

    it('writes lines in the order of the requests', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) {
        const method = ['POST', 'PUT', 'PATCH', 'DELETE'][i % 4]!;
        ids.push((await call(url, method, method === 'POST' ? NODES : `${NODES}/n-${i}`, { user: i % 5 === 0 ? 'bob' : 'alice', body: {} })).id);
      }
      await f.auditor.flush();
      expect(f.lines().map((l) => l.requestId)).to.deep.equal(ids);
      expect((await f.stored()).map((l) => l.requestId)).to.deep.equal(ids);
    });

    it('records a mutating request whose client went away before the answer (499)', async () => {
      const req = httpRequest(`${url}${NODES}/held`, { method: 'DELETE', headers: { Authorization: 'Bearer alice', 'x-test': 'hold' } });
      req.on('error', () => undefined);
      req.end();
      await until('the request to reach the handler', () => hold.has('held'));
      req.destroy();
      await until('the audit line', () => f.lines().length === 1);
      hold.get('held')!();
      await f.auditor.flush();
      expect(f.lines()).to.have.length(1);
      expect(f.lines()[0]).to.include({ verb: 'delete', resource: 'nodes', namespace: 'acme', name: 'held', code: 499, reason: 'ClientClosedRequest' });
    });
  });

  describe('the auditor', () => {
    const entry = (i: number) => ({ verb: 'create', resource: 'runs', namespace: 'acme', name: `r-${i}`, code: 201, requestId: `req-${i}`, sourceAddress: '10.0.0.1' });

    it('creates the file owner-only (and tightens an existing one), one line per entry', async () => {
      const f = fixture();
      try {
        f.auditor.record(entry(1));
        await f.auditor.flush();
        expect(statSync(f.file).mode & 0o777).to.equal(0o600);
        expect(statSync(join(f.dir, 'logs', 'audit')).mode & 0o777).to.equal(0o700);
        expect(readFileSync(f.file, 'utf8').split('\n')).to.have.length(2);
      } finally {
        await f.close();
      }
      const dir = freshDir();
      mkdirSync(join(dir, 'a'));
      const file = join(dir, 'a', 'audit.jsonl');
      writeFileSync(file, '{"old":true}\n');
      chmodSync(file, 0o644);
      const store = createSqliteStore({ file: join(dir, 'store.db') });
      const auditor = createAuditor({ store, file, retentionSeconds: 60, log: pino({ level: 'silent' }) });
      auditor.record(entry(2));
      await auditor.close();
      await store.close();
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.equal('{"old":true}');
      expect((JSON.parse(lines[1]!) as AuditEvent).name).to.equal('r-2');
    });

    it('is served like any other kind: the AuditEvent repository lists what was recorded', async () => {
      const f = fixture();
      try {
        f.auditor.record({ ...entry(1), user: { name: 'node:acme/web-1', kind: 'Node', node: 'acme/web-1' }, verb: 'execute', execution: { preset: 'sshd-hardening', scriptDigest: `sha256:${'a'.repeat(64)}`, exitCodes: [{ step: 'precheck', code: 0 }, { step: 'apply', code: 3 }] } });
        await f.auditor.flush();
        const repo = new Repository(registry.byPlural('hyprbox.io', 'auditevents')!, f.store);
        const list = await repo.list({ namespace: undefined });
        expect(list.items).to.have.length(1);
        const ev = list.items[0] as unknown as AuditEvent;
        expect(ev.metadata.resourceVersion).to.match(/^\d+$/);
        expect(ev.execution).to.deep.equal({ preset: 'sshd-hardening', scriptDigest: `sha256:${'a'.repeat(64)}`, exitCodes: [{ step: 'precheck', code: 0 }, { step: 'apply', code: 3 }] });
        expect(await repo.get(undefined, ev.metadata.name!)).to.deep.include({ verb: 'execute' });
        expect(createValidator(auditDef).validate(ev as unknown as Record<string, unknown>)).to.deep.equal([]);
      } finally {
        await f.close();
      }
    });

    it('gives names that sort in the order of recording, even within one millisecond, and never repeat', async () => {
      const fixed = new Date('2030-01-02T03:04:05.678Z');
      const f = fixture({ now: () => fixed });
      try {
        for (let i = 0; i < 200; i++) f.auditor.record(entry(i));
        await f.auditor.flush();
        const names = f.lines().map((l) => l.metadata.name!);
        expect(new Set(names).size).to.equal(200);
        expect([...names].sort()).to.deep.equal(names);
        expect(names[0]).to.match(/^20300102030405678-000[0-9a-z]{5}$/);
        expect(f.lines().map((l) => l.requestId)).to.deep.equal(Array.from({ length: 200 }, (_, i) => `req-${i}`));
        expect((await f.stored()).map((l) => l.requestId)).to.deep.equal(Array.from({ length: 200 }, (_, i) => `req-${i}`));
      } finally {
        await f.close();
      }
    });

    it('lets events expire after the retention, sharing leases between events', async () => {
      const f = fixture({ retentionSeconds: 2 });
      try {
        for (let i = 0; i < 5; i++) f.auditor.record(entry(i));
        await f.auditor.flush();
        const kvs = (await f.store.range(AUDIT_PREFIX)).kvs;
        expect(kvs).to.have.length(5);
        expect(kvs.every((kv) => kv.lease !== 0)).to.equal(true);
        expect(new Set(kvs.map((kv) => kv.lease)).size).to.be.lessThan(5);
        await until('the audit events to expire', async () => (await f.store.range(AUDIT_PREFIX)).count === 0, 15_000);
        // Recording goes on after the lease it used is gone; the file keeps everything.
        f.auditor.record(entry(5));
        await f.auditor.flush();
        expect((await f.stored()).map((e) => e.name)).to.deep.equal(['r-5']);
        expect(f.lines().map((e) => e.name)).to.deep.equal(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5']);
      } finally {
        await f.close();
      }
    });

    it('still writes the line and logs when the store fails; record() never throws', async () => {
      let fail = true;
      const f = fixture({
        store: (s) => ({
          ...s,
          backend: s.backend,
          createMany: (entries) => (fail ? Promise.reject(new Error('disk on fire')) : s.createMany(entries)),
        }),
      });
      try {
        f.auditor.record(entry(1));
        await f.auditor.flush();
        expect(f.lines().map((l) => l.name)).to.deep.equal(['r-1']);
        expect(await f.stored()).to.deep.equal([]);
        const logged = f.records.find((r) => r['msg'] === 'audit: could not store the audit event');
        expect(logged, JSON.stringify(f.records)).to.not.equal(undefined);
        expect(JSON.stringify(logged)).to.include('disk on fire');
        fail = false;
        f.auditor.record(entry(2));
        await f.auditor.flush();
        expect((await f.stored()).map((l) => l.name)).to.deep.equal(['r-2']);
        // Garbage in does not throw out of record().
        expect(() => f.auditor.record(null as never)).to.not.throw();
        expect(() => f.auditor.record({ ...entry(3), execution: { exitCodes: 7 } } as never)).to.not.throw();
        await f.auditor.flush();
      } finally {
        await f.close();
      }
      expect(() => f.auditor.record(entry(4))).to.not.throw();
      expect(f.lines().map((l) => l.name)).to.not.include('r-4');
    });

    it('does not wait for the store: record() returns while writes are still pending', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const f = fixture({ store: (s) => ({ ...s, backend: s.backend, createMany: async (entries) => (await gate, s.createMany(entries)) }) });
      try {
        f.auditor.record(entry(1));
        f.auditor.record(entry(2));
        await until('the file line', () => f.lines().length === 2);
        await sleep(50);
        expect(await f.stored()).to.deep.equal([]);
        release();
        await f.auditor.flush();
        expect((await f.stored()).map((l) => l.name)).to.deep.equal(['r-1', 'r-2']);
      } finally {
        release();
        await f.close();
      }
    });

    it('stores a burst a transaction at a time (at most MAX_CREATE_MANY events each), losing none, in order', async () => {
      const batches: number[] = [];
      const f = fixture({ store: (s) => ({ ...s, backend: s.backend, createMany: (entries) => (batches.push(entries.length), s.createMany(entries)) }) });
      try {
        for (let i = 0; i < 300; i++) f.auditor.record(entry(i));
        await f.auditor.flush();
        const names = Array.from({ length: 300 }, (_, i) => `r-${i}`);
        expect((await f.stored()).map((e) => e.name)).to.deep.equal(names);
        expect(f.lines().map((e) => e.name)).to.deep.equal(names);
        // The lane waits for the end of the event-loop turn, so even the first record() joins a full batch.
        expect(batches).to.deep.equal([MAX_CREATE_MANY, MAX_CREATE_MANY, 300 - 2 * MAX_CREATE_MANY]);
      } finally {
        await f.close();
      }
    });

    it('rotates the file past its size, keeps the newest rotated files only, and loses no line', async () => {
      let t = Date.parse('2026-11-22T04:00:00.000Z');
      const f = fixture({ now: () => new Date((t += 1000)), fileMaxBytes: 4096, fileMaxBackups: 3 });
      const dir = join(f.dir, 'logs', 'audit');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'audit-notes.jsonl'), 'not ours\n'); // a file rotation did not make: left alone
      try {
        const all: string[] = [];
        for (let burst = 0; burst < 12; burst++) {
          for (let i = 0; i < 5; i++) {
            const n = burst * 5 + i;
            all.push(`r-${n}`);
            f.auditor.record(entry(n));
          }
          await f.auditor.flush(); // one burst, one write: a write is never split across two files
        }
        const files = readdirSync(dir).sort();
        const rotated = files.filter((n) => /^audit-2026-11-22T04-\d\d-\d\d\.000Z\.jsonl$/.test(n));
        expect(rotated).to.have.length(3);
        expect(files).to.include.members(['audit.jsonl', 'audit-notes.jsonl']);
        expect(files).to.have.length(5);
        const names = (file: string) => readFileSync(join(dir, file), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).name);
        for (const n of [...rotated, 'audit.jsonl']) {
          expect(statSync(join(dir, n)).size).to.be.at.most(4096);
          expect(statSync(join(dir, n)).mode & 0o777).to.equal(0o600);
        }
        // The kept files hold the newest lines, in order, with nothing missing between them; the store has all.
        const kept = [...rotated, 'audit.jsonl'].flatMap(names);
        expect(kept).to.deep.equal(all.slice(all.length - kept.length));
        expect(kept.length).to.be.lessThan(all.length);
        expect((await f.stored()).map((e) => e.name).sort()).to.deep.equal([...all].sort());
        expect(f.records.filter((r) => r.msg === 'audit: audit log rotated').length).to.be.greaterThan(3);
      } finally {
        await f.close();
      }
    });

    it('refuses a retention that is not positive', () => {
      const log = pino({ level: 'silent' });
      expect(() => createAuditor({ store: {} as Store, file: '/nonexistent/x', retentionSeconds: 0, log })).to.throw(/retention/);
    });
  });

  describe('targetFromPath', () => {
    const cases: Array<[string, string, boolean, object]> = [
      ['GET', '/apis/hyprbox.io/v1alpha1/namespaces/acme/nodes', false, { verb: 'list', resource: 'nodes', namespace: 'acme' }],
      ['GET', '/apis/hyprbox.io/v1alpha1/namespaces/acme/nodes', true, { verb: 'watch', resource: 'nodes', namespace: 'acme' }],
      ['GET', '/apis/hyprbox.io/v1alpha1/nodes', false, { verb: 'list', resource: 'nodes' }],
      ['PUT', '/apis/hyprbox.io/v1alpha1/namespaces/acme/runs/r1/status', false, { verb: 'update', resource: 'runs', namespace: 'acme', name: 'r1', subresource: 'status' }],
      ['DELETE', '/apis/hyprbox.io/v1alpha1/presets/p%2F1', false, { verb: 'delete', resource: 'presets', name: 'p/1' }],
      ['DELETE', '/apis/hyprbox.io/v1alpha1/presets/%E0%A4%A', false, { verb: 'delete', resource: 'presets', name: '%E0%A4%A' }],
      ['DELETE', '/api/v1/namespaces/acme', false, { verb: 'delete', resource: 'namespaces', name: 'acme' }],
      ['PATCH', '/api/v1/namespaces/acme/status', false, { verb: 'patch', resource: 'namespaces', name: 'acme', subresource: 'status' }],
      ['POST', '/api/v1/namespaces', false, { verb: 'create', resource: 'namespaces' }],
      ['GET', '/apis', false, { verb: 'get', resource: '' }],
      ['POST', '/version', false, { verb: 'create', resource: '' }],
      ['OPTIONS', '/api', false, { verb: 'options', resource: '' }],
    ];
    for (const [method, path, watch, want] of cases) {
      it(`${method} ${path}${watch ? ' (watch)' : ''}`, () => expect(targetFromPath(method, path, watch)).to.deep.equal(want));
    }
  });
});
