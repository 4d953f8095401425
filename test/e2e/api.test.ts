// REST semantics and bad input, straight over HTTP, on both store backends.
import { execFileSync } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { createRegistry, objectKey } from '@hyprbox/controller/api/resource';
import { createEtcdStore } from '@hyprbox/controller/store/etcd';
import { startTestController } from '../lib/controller.js';
import type { Backend, TestController } from '../lib/controller.js';

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const node = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name, labels: { role: 'db' } },
  spec: {},
  ...extra,
});
interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<{ field?: string; reason?: string; message: string }> };
}

for (const backend of ['sqlite', 'etcd'] as Backend[]) {
  describe(`API conventions (${backend})`, function () {
    this.timeout(60_000);
    let c: TestController;
    before(async () => {
      // Plain HTTP on loopback, the documented --tls off mode; kubectl's tests cover TLS.
      c = await startTestController(backend, ['--tls', 'off']);
    });
    after(async () => c?.stop());

    const names = async (): Promise<string[]> => {
      const res = await c.api(NODES);
      const list = (await res.json()) as { items: Array<{ metadata: { name: string } }> };
      return list.items.map((i) => i.metadata.name);
    };
    const post = (body: string, type = 'application/json', path = NODES) =>
      c.api(path, { method: 'POST', body, headers: { 'Content-Type': type } });
    const expectStatus = async (res: Response, code: number, reason: string): Promise<Status> => {
      const body = (await res.json()) as Status;
      expect(res.status, JSON.stringify(body)).to.equal(code);
      expect(body.kind).to.equal('Status');
      expect(body.reason).to.equal(reason);
      return body;
    };

    describe('bad input is refused and stores nothing', () => {
      let before: string[];
      beforeEach(async () => {
        before = await names();
      });
      afterEach(async () => {
        expect(await names()).to.deep.equal(before);
      });

      it('malformed JSON → 400', async () => {
        const s = await expectStatus(await post('{"apiVersion": "hyprbox.io/v1alpha1", "kind": "Node",'), 400, 'BadRequest');
        expect(s.message).to.contain('malformed JSON');
      });
      it('malformed YAML → 400 naming line and column', async () => {
        const s = await expectStatus(await post('apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata:\n  name: [x\n', 'application/yaml'), 400, 'BadRequest');
        expect(s.message).to.match(/malformed YAML in request body: line \d+, column \d+/);
      });
      it('duplicate keys in JSON and YAML → 400 naming the key', async () => {
        const s = await expectStatus(await post('{"apiVersion":"hyprbox.io/v1alpha1","kind":"Node","metadata":{"name":"d1","name":"d2"},"spec":{}}'), 400, 'BadRequest');
        expect(s.message).to.contain('duplicate field "metadata.name"');
        const y = await expectStatus(await post('apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata:\n  name: d1\n  name: d2\nspec: {}\n', 'application/yaml'), 400, 'BadRequest');
        expect(y.message).to.match(/line 5/);
      });
      it('unknown fields → 400 naming each field', async () => {
        const s = await expectStatus(await post(JSON.stringify(node('u1', { metadata: { name: 'u1', lables: { a: 'b' } }, spec: { pasued: true, agentConfig: { bogus: 1 } } }))), 400, 'BadRequest');
        expect(s.details?.causes?.map((x) => x.field)).to.have.members(['metadata.lables', 'spec.pasued', 'spec.agentConfig.bogus']);
      });
      it('wrong types → 422 naming the field', async () => {
        const s = await expectStatus(await post(JSON.stringify(node('t1', { spec: { paused: 'yes' } }))), 422, 'Invalid');
        expect(s.details?.causes?.[0]).to.include({ field: 'spec.paused', reason: 'FieldValueTypeInvalid' });
      });
      it('missing required fields → 422 naming the field', async () => {
        const finding = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Finding', metadata: { name: 'f1' }, spec: { type: 'tls.expiring', key: 'x', severity: 'WARN' } };
        const s = await expectStatus(await post(JSON.stringify(finding), 'application/json', '/apis/hyprbox.io/v1alpha1/namespaces/default/findings'), 422, 'Invalid');
        expect(s.details?.causes?.map((x) => x.field)).to.include('spec.nodeName');
      });
      for (const bad of ['../x', 'a/b', 'a\u0000b', 'x'.repeat(300), 'Upper']) {
        it(`name ${JSON.stringify(bad.length > 20 ? bad.slice(0, 10) + '…' : bad)} → 422 on metadata.name`, async () => {
          const s = await expectStatus(await post(JSON.stringify(node(bad))), 422, 'Invalid');
          expect(s.details?.causes?.map((x) => x.field)).to.include('metadata.name');
        });
      }
      it('a body over 3 MiB → 413', async () => {
        const big = JSON.stringify(node('big', { spec: { agentConfig: { tlsPaths: ['x'.repeat(3 * 1024 * 1024)] } } }));
        await expectStatus(await post(big), 413, 'RequestEntityTooLarge');
      });
      it('a wrong content type → 415', async () => {
        const s = await expectStatus(await post(JSON.stringify(node('ct')), 'text/plain'), 415, 'UnsupportedMediaType');
        expect(s.message).to.contain('application/json');
      });
      it('a kind that does not match the endpoint → 400', async () => {
        await expectStatus(await post(JSON.stringify({ ...node('k1'), kind: 'Finding' })), 400, 'BadRequest');
      });
      it('a namespace that does not exist → 404', async () => {
        await expectStatus(await post(JSON.stringify(node('n1')), 'application/json', '/apis/hyprbox.io/v1alpha1/namespaces/nope/nodes'), 404, 'NotFound');
      });
      it('a name or namespace in the URL that no object can have → 404, without reaching the store', async () => {
        for (const path of [`${NODES}/..%2Fx`, `${NODES}/a%2Fb`, `${NODES}/Upper`, '/apis/hyprbox.io/v1alpha1/namespaces/Bad_NS/nodes', '/apis/hyprbox.io/v1alpha1/namespaces/a.b/nodes/x']) {
          for (const method of ['GET', 'PUT', 'DELETE']) {
            const res = await c.api(path, { method, ...(method === 'PUT' ? { json: node('x') } : {}) });
            await expectStatus(res, 404, 'NotFound');
          }
        }
        await expectStatus(await post(JSON.stringify(node('n1')), 'application/json', '/apis/hyprbox.io/v1alpha1/namespaces/Bad_NS/nodes'), 404, 'NotFound');
      });
      it('server-side dry run validates but does not store', async () => {
        const res = await c.api(`${NODES}?dryRun=All`, { method: 'POST', json: node('dry-1') });
        expect(res.status).to.equal(201);
        expect(((await res.json()) as { metadata: { name: string } }).metadata.name).to.equal('dry-1');
      });
    });

    it('creates with generateName and server-set metadata', async () => {
      const res = await c.api(NODES, { method: 'POST', json: { ...node(''), metadata: { generateName: 'gen-' } } });
      const obj = (await res.json()) as { metadata: { name: string; uid: string; creationTimestamp: string; resourceVersion: string; generation: number } };
      expect(res.status).to.equal(201);
      expect(obj.metadata.name).to.match(/^gen-[a-z0-9]{5}$/);
      expect(obj.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(obj.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(obj.metadata.generation).to.equal(1);
      expect(Number(obj.metadata.resourceVersion)).to.be.greaterThan(0);
    });

    it('writes spec and status separately; generation follows spec only', async () => {
      const created = (await (await c.api(NODES, { method: 'POST', json: node('st-1', { status: { health: 'critical' } }) })).json()) as Record<string, unknown> & { metadata: { resourceVersion: string } };
      expect(created.status).to.equal(undefined);
      const withStatus = { ...created, status: { health: 'warning' }, spec: { paused: true } };
      const st = await c.api(`${NODES}/st-1/status`, { method: 'PUT', json: withStatus });
      const afterStatus = (await st.json()) as { status: { health: string }; spec: { paused: boolean }; metadata: { generation: number; resourceVersion: string } };
      expect(st.status).to.equal(200);
      expect(afterStatus.status.health).to.equal('warning');
      expect(afterStatus.spec.paused).to.equal(false);
      expect(afterStatus.metadata.generation).to.equal(1);
      const main = await c.api(`${NODES}/st-1`, { method: 'PUT', json: { ...afterStatus, spec: { paused: true }, status: { health: 'healthy' } } });
      const afterMain = (await main.json()) as { status: { health: string }; spec: { paused: boolean }; metadata: { generation: number } };
      expect(afterMain.spec.paused).to.equal(true);
      expect(afterMain.status.health).to.equal('warning');
      expect(afterMain.metadata.generation).to.equal(2);
      const stale = await c.api(`${NODES}/st-1`, { method: 'PUT', json: { ...afterStatus, spec: { paused: false } } });
      await expectStatus(stale, 409, 'Conflict');
    });

    if (backend === 'etcd') {
      // The controller starts an update from its watch copy (possibly behind another writer) and reads again
      // when that copy was stale: the other writer's change must be neither refused nor lost.
      it('updates and patches right after another etcd client changed the object: no false 409, no lost update', async function () {
        type NodeObj = { metadata: { resourceVersion: string; annotations?: Record<string, string> } };
        const other = await createEtcdStore({ endpoints: c.etcdEndpoints! });
        const key = objectKey(createRegistry().byPlural('hyprbox.io', 'nodes')!, 'default', 'race-1');
        const otherWrite = async (annotation: string): Promise<string> => {
          const kv = (await other.get(key))!;
          const stored = JSON.parse(kv.value) as NodeObj;
          stored.metadata.annotations = { ...stored.metadata.annotations, [annotation]: 'other' };
          const r = await other.update(key, JSON.stringify(stored), kv.modRevision);
          if (!r.ok) throw new Error('the other writer lost a race it should not have');
          return String(r.kv.modRevision);
        };
        try {
          expect((await c.json('POST', NODES, node('race-1'))).status).to.equal(201);
          for (let i = 0; i < 20; i++) {
            const rv = await otherWrite(`other/put-${i}`);
            const got = (await c.json<NodeObj>('GET', `${NODES}/race-1`)).body;
            expect(got.metadata.resourceVersion).to.equal(rv);
            // A PUT with the version the other writer just made (the controller's copy may be one behind).
            await otherWrite(`other/before-put-${i}`).then(async (rv2) => {
              got.metadata.resourceVersion = rv2;
              got.metadata.annotations = { ...got.metadata.annotations, [`other/before-put-${i}`]: 'other', [`api/put-${i}`]: 'api' };
              const put = await c.json<NodeObj>('PUT', `${NODES}/race-1`, got);
              expect(put.status, JSON.stringify(put.body)).to.equal(200);
              // Sent back unchanged after another write: a no-op only on the copy, a conflict on the object.
              await otherWrite(`other/after-put-${i}`);
              const again = await c.json('PUT', `${NODES}/race-1`, put.body);
              expect(again.status, JSON.stringify(again.body)).to.equal(409);
            });
            // A merge patch right after another write: applied on top of it, not instead of it.
            await otherWrite(`other/patch-${i}`);
            const patched = await c.json<NodeObj>('PATCH', `${NODES}/race-1`, { metadata: { annotations: { [`api/patch-${i}`]: 'api' } } }, 'application/merge-patch+json');
            expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
            expect(patched.body.metadata.annotations).to.include({ [`other/patch-${i}`]: 'other', [`api/patch-${i}`]: 'api', [`api/put-${i}`]: 'api' });
            // And a PUT with a version that is really old is still a conflict.
            const stale = await c.json('PUT', `${NODES}/race-1`, { ...got, metadata: { ...got.metadata, resourceVersion: rv } });
            expect(stale.status).to.equal(409);
          }
          const final = JSON.parse((await other.get(key))!.value) as NodeObj;
          for (let i = 0; i < 20; i++) {
            expect(final.metadata.annotations).to.include({ [`other/patch-${i}`]: 'other', [`api/patch-${i}`]: 'api', [`api/put-${i}`]: 'api' });
          }
        } finally {
          await other.close();
        }
      });
    }

    it('lists with limit and continue, each object exactly once', async () => {
      for (let i = 0; i < 7; i++) await c.api(NODES, { method: 'POST', json: node(`page-${i}`) });
      const seen: string[] = [];
      let cont = '';
      for (let pages = 0; pages < 20; pages++) {
        const res = await c.api(`${NODES}?limit=3&labelSelector=role%3Ddb${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        const list = (await res.json()) as { items: Array<{ metadata: { name: string } }>; metadata: { continue?: string } };
        expect(list.items.length).to.be.at.most(3);
        seen.push(...list.items.map((i) => i.metadata.name));
        if (!list.metadata.continue) break;
        cont = list.metadata.continue;
      }
      expect(seen.filter((n) => n.startsWith('page-'))).to.deep.equal([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
      expect(new Set(seen).size).to.equal(seen.length);
    });

    it('selects by field, and refuses unsupported fields', async () => {
      const res = await c.api(`${NODES}?fieldSelector=metadata.name%3Dpage-3`);
      const list = (await res.json()) as { items: Array<{ metadata: { name: string } }> };
      expect(list.items.map((i) => i.metadata.name)).to.deep.equal(['page-3']);
      // spec.paused is declared selectable in the Node CRD; spec.requireApproval is not.
      const paused = (await (await c.api(`${NODES}?fieldSelector=spec.paused%3Dtrue`)).json()) as { items: Array<{ spec: { paused: boolean } }> };
      expect(paused.items.length).to.be.greaterThan(0);
      expect(paused.items.every((i) => i.spec.paused)).to.equal(true);
      const bad = await c.api(`${NODES}?fieldSelector=spec.requireApproval%3Dtrue`);
      const s = await expectStatus(bad, 400, 'BadRequest');
      expect(s.message).to.contain('field label not supported: spec.requireApproval');
    });

    it('answers as=Table with the printer columns', async () => {
      const res = await c.api(NODES, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
      const t = (await res.json()) as { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
      expect(t.kind).to.equal('Table');
      expect(t.columnDefinitions.map((d) => d.name).slice(0, 3)).to.deep.equal(['Name', 'Ready', 'Health']);
      expect(t.rows.length).to.be.greaterThan(0);
    });

    it('answers metadata only for as=PartialObjectMetadata[List], and 406 for an Accept it cannot produce', async () => {
      type Partial = { apiVersion: string; kind: string; metadata: { name: string; resourceVersion: string }; spec?: unknown };
      const accept = (as: string) => ({ headers: { Accept: `application/json;as=${as};g=meta.k8s.io;v=v1` } });
      const one = (await (await c.api(`${NODES}/page-1`, accept('PartialObjectMetadata'))).json()) as Partial;
      expect([one.apiVersion, one.kind, one.metadata.name, one.spec]).to.deep.equal(['meta.k8s.io/v1', 'PartialObjectMetadata', 'page-1', undefined]);
      const list = (await (await c.api(NODES, accept('PartialObjectMetadataList'))).json()) as { kind: string; metadata: { resourceVersion: string }; items: Partial[] };
      expect(list.kind).to.equal('PartialObjectMetadataList');
      expect(list.items.length).to.be.greaterThan(0);
      expect(list.items.every((i) => i.kind === 'PartialObjectMetadata' && i.spec === undefined)).to.equal(true);
      const w = await c.api(`${NODES}?watch=1&fieldSelector=metadata.name%3Dpage-1&timeoutSeconds=1`, accept('PartialObjectMetadata'));
      const ev = JSON.parse((await readUntilEnd(w, 5000)).trim()) as { type: string; object: Partial };
      expect([ev.type, ev.object.kind, ev.object.metadata.name]).to.deep.equal(['ADDED', 'PartialObjectMetadata', 'page-1']);
      for (const a of ['application/vnd.kubernetes.protobuf', 'text/html', 'application/json;as=Table;v=v2;g=meta.k8s.io']) {
        const s = await expectStatus(await c.api(`${NODES}/page-1`, { headers: { Accept: a } }), 406, 'NotAcceptable');
        expect(s.message, a).to.contain('supported: application/json');
      }
      // What kubectl's typed clients send: protobuf first, JSON as the fallback.
      expect((await c.api(`${NODES}/page-1`, { headers: { Accept: 'application/vnd.kubernetes.protobuf,application/json' } })).status).to.equal(200);
    });

    it('an update that changes nothing writes nothing', async () => {
      const created = (await (await c.api(NODES, { method: 'POST', json: node('noop-1') })).json()) as { metadata: { resourceVersion: string } };
      const res = await c.api(`${NODES}/noop-1`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { role: 'db' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      const after = (await res.json()) as { metadata: { resourceVersion: string } };
      expect(res.status).to.equal(200);
      expect(after.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('DeleteOptions in the body: a dry run deletes nothing, and a body that cannot be read deletes nothing', async () => {
      await c.api(NODES, { method: 'POST', json: node('keep-1') });
      const del = (body: unknown, path = `${NODES}/keep-1`) => c.api(path, { method: 'DELETE', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      // kubectl delete --dry-run=server puts dryRun in the body, not the query.
      const dry = await del({ propagationPolicy: 'Background', dryRun: ['All'] });
      expect(dry.status).to.equal(200);
      expect(((await dry.json()) as { metadata: { name: string } }).metadata.name).to.equal('keep-1');
      const dryAll = await del({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] }, NODES);
      expect(dryAll.status).to.equal(200);
      expect(((await dryAll.json()) as { items: unknown[] }).items.length).to.be.greaterThan(0);
      expect(await names()).to.include('keep-1');

      const misspelt = await expectStatus(await del({ dryrun: ['All'] }), 400, 'BadRequest');
      expect(misspelt.details?.causes?.[0]).to.deep.include({ field: 'dryrun', message: 'unknown field' });
      const wrong = await expectStatus(await del({ dryRun: ['all'], gracePeriodSeconds: 'soon', preconditions: { uid: 5 } }), 400, 'BadRequest');
      expect(wrong.details?.causes?.map((x) => x.field)).to.have.members(['dryRun[0]', 'gracePeriodSeconds', 'preconditions.uid']);
      await expectStatus(await del({ propagationPolicy: 'Sometimes' }), 400, 'BadRequest');
      await expectStatus(await del({ propagationPolicy: 'Orphan', orphanDependents: true }), 400, 'BadRequest');
      await expectStatus(await del([]), 400, 'BadRequest');
      await expectStatus(await c.api(`${NODES}/keep-1?dryRun=Nope`, { method: 'DELETE' }), 400, 'BadRequest');
      await expectStatus(await c.api(`${NODES}/keep-1?gracePeriodSeconds=soon`, { method: 'DELETE' }), 400, 'BadRequest');
      const stale = await expectStatus(await del({ preconditions: { resourceVersion: '1' } }), 409, 'Conflict');
      expect(stale.message).to.contain('Precondition failed');
      expect(await names()).to.include('keep-1');

      const real = await del({ propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
      expect(real.status).to.equal(200);
      expect(await names()).to.not.include('keep-1');
    });

    it('deleting a namespace deletes its objects, waiting for finalizers', async () => {
      const NS = '/api/v1/namespaces';
      expect((await c.api(NS, { method: 'POST', json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } } })).status).to.equal(201);
      const inNs = '/apis/hyprbox.io/v1alpha1/namespaces/gone/nodes';
      await c.api(inNs, { method: 'POST', json: node('a') });
      await c.api(inNs, { method: 'POST', json: { ...node('held'), metadata: { name: 'held', finalizers: ['hyprbox.io/test'] } } });
      // 200 with the Terminating namespace, as kube-apiserver answers (202 only for orphanDependents=false).
      const del = await c.api(`${NS}/gone`, { method: 'DELETE' });
      expect(del.status).to.equal(200);
      const ns = (await (await c.api(`${NS}/gone`)).json()) as { status: { phase: string } };
      expect(ns.status.phase).to.equal('Terminating');
      const left = (await (await c.api(inNs)).json()) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
      expect(left.items.map((i) => i.metadata.name)).to.deep.equal(['held']);
      expect(left.items[0]!.metadata.deletionTimestamp).to.be.a('string');
      await expectStatus(await c.api(inNs, { method: 'POST', json: node('late') }), 403, 'Forbidden');
      const release = await c.api(`${inNs}/held`, { method: 'PATCH', body: JSON.stringify({ metadata: { finalizers: null } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      expect(release.status).to.equal(200);
      await expectStatus(await c.api(`${NS}/gone`), 404, 'NotFound');
      await expectStatus(await c.api(inNs, { method: 'POST', json: node('after') }), 404, 'NotFound');
      await expectStatus(await c.api(`${NS}/default`, { method: 'DELETE' }), 403, 'Forbidden');
    });

    it('read-only paths answer 405 to writes, discovery lists AuditEvents read-only, and oversized headers get a Status', async () => {
      for (const [method, path] of [['DELETE', CRDS], ['POST', CRDS], ['DELETE', `${CRDS}/nodes.hyprbox.io`], ['POST', '/api/v1/namespaces/default/events']]) {
        await expectStatus(await c.api(path!, { method: method!, json: {} }), 405, 'MethodNotAllowed');
      }
      const group = (await (await c.api('/apis/hyprbox.io/v1alpha1')).json()) as { resources: Array<{ name: string; verbs: string[] }> };
      expect(group.resources.find((x) => x.name === 'auditevents')!.verbs).to.deep.equal(['get', 'list', 'watch']);
      const big = await c.api(`${NODES}/page-1`, { headers: { 'X-Big': 'a'.repeat(20_000) } });
      const s = await expectStatus(big, 431, 'RequestHeaderFieldsTooLarge');
      expect(s.message).to.contain('16 KiB');
    });

    it('answers the public paths without a token, and nothing else', async () => {
      for (const path of ['/healthz', '/livez', '/readyz']) {
        const res = await fetch(c.url + path);
        expect([path, res.status, await res.text()]).to.deep.equal([path, 200, 'ok']);
      }
      expect(((await (await fetch(c.url + '/version')).json()) as { gitVersion: string }).gitVersion).to.be.a('string');
      expect(await (await fetch(c.url + '/readyz?verbose')).text()).to.equal('[+]ping ok\n[+]started ok\n[+]store ok\nreadyz check passed\n');
      expect((await fetch(c.url + '/healthz', { method: 'POST' })).status).to.equal(404);
      expect((await fetch(c.url + NODES)).status).to.equal(401);
    });

    if (backend === 'sqlite') {
      it('is not ready while the store refuses writes (an I/O error), and ready again after the next write', async () => {
        const wal = join(c.dataDir, 'hyprbox.db-wal');
        // An immutable WAL makes every commit fail with an I/O error, as a failing or full disk does.
        execFileSync('chattr', ['+i', wal]);
        try {
          await expectStatus(await c.api(NODES, { method: 'POST', json: node('io-1') }), 503, 'ServiceUnavailable');
          const ready = await fetch(c.url + '/readyz?verbose');
          expect(ready.status).to.equal(503);
          expect(await ready.text()).to.contain('[-]store failed');
          expect((await fetch(c.url + '/healthz')).status).to.equal(200);
          expect((await c.api(NODES)).status).to.equal(200); // reads still work
        } finally {
          execFileSync('chattr', ['-i', wal]);
        }
        expect((await c.api(NODES, { method: 'POST', json: node('io-1') })).status).to.equal(201);
        expect((await fetch(c.url + '/readyz')).status).to.equal(200);
        await c.api(`${NODES}/io-1`, { method: 'DELETE' });
      });
    }

    it('serves a request line in absolute form (RFC 9112) as it serves the path', async () => {
      const { hostname, port } = new URL(c.url);
      const status = (path: string, auth: boolean) => new Promise<number>((resolve, reject) => {
        httpGet({ hostname, port, path, headers: auth ? { Authorization: `Bearer ${c.token}` } : {} }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(await status(`${c.url}/healthz`, false)).to.equal(200);
      expect(await status(`${c.url}${NODES}`, true)).to.equal(200);
      expect(await status(`${c.url}${NODES}`, false)).to.equal(401);
    });

    it('serves the CRDs as established, with server metadata, to list, get and watch', async () => {
      const ns = (await (await c.api('/api/v1/namespaces/default')).json()) as { metadata: { creationTimestamp: string } };
      const crd = (await (await c.api(`${CRDS}/nodes.hyprbox.io`)).json()) as { metadata: { uid: string; creationTimestamp: string; resourceVersion: string }; status: { conditions: Array<{ type: string; status: string }>; storedVersions: string[] } };
      expect(crd.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(crd.metadata.creationTimestamp).to.equal(ns.metadata.creationTimestamp);
      expect(crd.status.conditions.map((x) => `${x.type}=${x.status}`)).to.include('Established=True');
      expect(crd.status.storedVersions).to.deep.equal(['v1alpha1']);
      const one = (await (await c.api(`${CRDS}?fieldSelector=metadata.name%3Druns.hyprbox.io`)).json()) as { items: Array<{ metadata: { name: string } }> };
      expect(one.items.map((i) => i.metadata.name)).to.deep.equal(['runs.hyprbox.io']);
      await expectStatus(await c.api(`${CRDS}?fieldSelector=spec.group%3Dx`), 400, 'BadRequest');
      // A watch without a resourceVersion starts with every CRD selected; after a list (resourceVersion 1), with none.
      const fresh = (await readUntilEnd(await c.api(`${CRDS}?watch=1&fieldSelector=metadata.name%3Dnodes.hyprbox.io&timeoutSeconds=1`), 5000)).trim().split('\n');
      expect(fresh.map((l) => { const e = JSON.parse(l) as { type: string; object: { metadata: { name: string } } }; return `${e.type} ${e.object.metadata.name}`; })).to.deep.equal(['ADDED nodes.hyprbox.io']);
      expect(await readUntilEnd(await c.api(`${CRDS}?watch=1&resourceVersion=1&timeoutSeconds=1`), 5000)).to.equal('');
    });

    it('a watch with a label selector sees an object leave the selection as DELETED', async () => {
      await c.api(NODES, { method: 'POST', json: node('sel-1') });
      const list = (await (await c.api(`${NODES}?labelSelector=role%3Ddb`)).json()) as { metadata: { resourceVersion: string } };
      const res = await c.api(`${NODES}?watch=1&labelSelector=role%3Ddb&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=2`);
      await c.api(`${NODES}/sel-1`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { role: 'web' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      const events = (await readUntilEnd(res, 5000)).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; labels: Record<string, string>; resourceVersion: string } } });
      expect(events.map((e) => [e.type, e.object.metadata.name])).to.deep.equal([['DELETED', 'sel-1']]);
      // As in Kubernetes: the state the watcher last saw (it matched), at the revision of the change.
      expect(events[0]!.object.metadata.labels.role).to.equal('db');
      const now = (await (await c.api(`${NODES}/sel-1`)).json()) as { metadata: { resourceVersion: string } };
      expect(events[0]!.object.metadata.resourceVersion).to.equal(now.metadata.resourceVersion);
    });

    describe('adversarial bodies and tokens get a 4xx, change nothing, and leave the server up', () => {
      const TARGET = `${NODES}/adv-1`;
      let rv: string;
      before(async () => {
        expect((await c.api(NODES, { method: 'POST', json: node('adv-1') })).status).to.equal(201);
      });
      beforeEach(async () => {
        rv = ((await (await c.api(TARGET)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      });
      afterEach(async () => {
        const now = (await (await c.api(TARGET)).json()) as { metadata: { resourceVersion: string } };
        expect(now.metadata.resourceVersion).to.equal(rv);
      });
      const patch = (body: string, type: string) => c.api(TARGET, { method: 'PATCH', body, headers: { 'Content-Type': type } });

      it('a merge patch that is not an object → 400; a JSON patch that removes the object → 422', async () => {
        expect((await expectStatus(await patch('null', 'application/merge-patch+json'), 400, 'BadRequest')).message).to.contain('merge patch must be a JSON object');
        await expectStatus(await patch('[1]', 'application/merge-patch+json'), 400, 'BadRequest');
        await expectStatus(await patch('[{"op":"replace","path":"","value":null}]', 'application/json-patch+json'), 422, 'Invalid');
      });

      it('bodies nested thousands of levels deep → 400, again and again (the YAML parser must never overflow)', async () => {
        const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
        const deepMerge = `{"metadata":{"labels":null},"spec":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
        const s = await expectStatus(await patch(deepMerge, 'application/merge-patch+json'), 400, 'BadRequest');
        expect(s.message).to.contain('nested more than 100 levels');
        let block = 'apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: adv-2}\nspec:\n';
        for (let i = 1; i < 2_000; i++) block += `${' '.repeat(i)}k:\n`;
        for (let i = 0; i < 3; i++) {
          await expectStatus(await post(`apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: adv-2}\nspec: {a: ${deep(50_000)}}\n`, 'application/yaml'), 400, 'BadRequest');
          await expectStatus(await post(block, 'application/yaml'), 400, 'BadRequest');
        }
        // Still up, and still reading YAML (a dry run, so nothing is stored).
        const ok = await post('apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: adv-2}\nspec: {}\n', 'application/yaml', `${NODES}?dryRun=All`);
        expect(ok.status).to.equal(201);
        expect((await c.api(`${NODES}/adv-2`)).status).to.equal(404);
      });

      it('a continue token naming a revision the store has not reached → 400', async () => {
        const forged = Buffer.from(JSON.stringify({ v: 1, rv: 999_999_999, start: '/registry/hyprbox.io/nodes/default/a' })).toString('base64url');
        const page = (await (await c.api(`${NODES}?limit=1`)).json()) as { metadata: { continue: string } };
        const real = JSON.parse(Buffer.from(page.metadata.continue, 'base64url').toString()) as { start: string };
        const forgedHere = Buffer.from(JSON.stringify({ v: 1, rv: 999_999_999, start: real.start })).toString('base64url');
        for (const token of [forged, forgedHere]) {
          await expectStatus(await c.api(`${NODES}?limit=1&continue=${token}`), 400, 'BadRequest');
        }
      });
    });

    describe('a request whose scope is ambiguous or wider than a namespace is refused, and deletes nothing', () => {
      const ALL_NODES = '/apis/hyprbox.io/v1alpha1/nodes';
      let before: string[];
      beforeEach(async () => {
        await c.api(NODES, { method: 'POST', json: node('scope-keep', { metadata: { name: 'scope-keep', labels: { tier: 'keep' } } }) });
        await c.api(NODES, { method: 'POST', json: node('scope-target', { metadata: { name: 'scope-target', labels: { tier: 'target' } } }) });
        before = await names();
        expect(before).to.include.members(['scope-keep', 'scope-target']);
      });
      afterEach(async () => {
        expect(await names()).to.deep.equal(before);
      });

      it('a query parameter given twice → 400 naming it (a selector is never dropped)', async () => {
        for (const q of ['labelSelector=tier%3Dtarget&labelSelector=tier%3Dtarget', 'fieldSelector=metadata.name%3Dscope-target&fieldSelector=metadata.name%3Dx', 'dryRun=All&dryRun=All']) {
          const s = await expectStatus(await c.api(`${NODES}?${q}`, { method: 'DELETE' }), 400, 'BadRequest');
          expect(s.message).to.contain(`query parameter "${q.split('=')[0]}" is given 2 times`);
        }
        await expectStatus(await c.api(`${NODES}?labelSelector=tier%3Dtarget&labelSelector=tier%3Dtarget`), 400, 'BadRequest');
        // The routes served by express (CRDs, plans, run logs) parse their query the same way.
        await expectStatus(await c.api(`${CRDS}?fieldSelector=metadata.name%3Da&fieldSelector=metadata.name%3Db`), 400, 'BadRequest');
      });

      it('DELETE and POST on the all-namespaces path of a namespaced kind → 405', async () => {
        const del = await expectStatus(await c.api(ALL_NODES, { method: 'DELETE' }), 405, 'MethodNotAllowed');
        expect(del.message).to.contain('use /namespaces/{namespace}/nodes');
        await expectStatus(await c.api(`${ALL_NODES}?labelSelector=tier%3Dtarget`, { method: 'DELETE' }), 405, 'MethodNotAllowed');
        await expectStatus(await c.api(ALL_NODES, { method: 'POST', json: node('scope-new', { metadata: { name: 'scope-new', namespace: 'default' } }) }), 405, 'MethodNotAllowed');
        // Listing there is what the path is for.
        expect((await c.api(ALL_NODES)).status).to.equal(200);
      });
    });

    it('server-side apply: /status owns status fields, a resourceVersion is a precondition, fieldManager is checked', async () => {
      type N = { metadata: { resourceVersion: string; uid: string; managedFields?: Array<{ manager: string; operation: string; subresource?: string; fieldsV1: unknown }> }; status?: { health?: string } };
      await c.api(NODES, { method: 'POST', json: node('ssa-st') });
      const apply = (yaml: string, q: string, sub = '') => c.api(`${NODES}/ssa-st${sub}?${q}`, { method: 'PATCH', body: `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: ssa-st}\n${yaml}`, headers: { 'Content-Type': 'application/apply-patch+yaml' } });
      const res = await apply('status: {health: critical}\n', 'fieldManager=agent', '/status');
      const st = (await res.json()) as N;
      expect(res.status).to.equal(200);
      expect(st.status?.health).to.equal('critical');
      expect(st.metadata.managedFields!.find((e) => e.manager === 'agent')).to.deep.include({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:health': {} } } });
      // Another manager applying a different value conflicts on the field, unless forced.
      const clash = await expectStatus(await apply('status: {health: healthy}\n', 'fieldManager=other', '/status'), 409, 'Conflict');
      expect(clash.details?.causes?.[0]?.field).to.equal('.status.health');
      // Status applied to the object itself is not the object's to set.
      await apply('spec: {paused: true}\nstatus: {health: healthy}\n', 'fieldManager=gitops');
      const now = (await (await c.api(`${NODES}/ssa-st`)).json()) as N;
      expect(now.status?.health).to.equal('critical');
      // A stale resourceVersion in the applied configuration: 409, nothing written.
      const staleRv = await c.api(`${NODES}/ssa-st?fieldManager=gitops`, { method: 'PATCH', body: `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: ssa-st, resourceVersion: "${st.metadata.resourceVersion}"}\nspec: {paused: false}\n`, headers: { 'Content-Type': 'application/apply-patch+yaml' } });
      await expectStatus(staleRv, 409, 'Conflict');
      expect(((await (await c.api(`${NODES}/ssa-st`)).json()) as N).metadata.resourceVersion).to.equal(now.metadata.resourceVersion);
      await expectStatus(await apply('spec: {}\n', ''), 400, 'BadRequest');
      const long = await expectStatus(await apply('spec: {}\n', `fieldManager=${'m'.repeat(200)}`), 422, 'Invalid');
      expect(long.details?.causes?.[0]?.field).to.equal('fieldManager');
      // metadata.uid cannot change.
      const uid = await expectStatus(await c.api(`${NODES}/ssa-st`, { method: 'PATCH', body: JSON.stringify({ metadata: { uid: '00000000-0000-0000-0000-000000000000' } }), headers: { 'Content-Type': 'application/merge-patch+json' } }), 422, 'Invalid');
      expect(uid.details?.causes?.[0]?.field).to.equal('metadata.uid');
      // A namespace is Terminating only while it is being deleted.
      const phase = await expectStatus(await c.api('/api/v1/namespaces/default/status', { method: 'PATCH', body: JSON.stringify({ status: { phase: 'Terminating' } }), headers: { 'Content-Type': 'application/merge-patch+json' } }), 422, 'Invalid');
      expect(phase.details?.causes?.[0]?.field).to.equal('status.phase');
    });

    it('lists at a resourceVersion: Exact reads the past, a future one is 504 ResourceVersionTooLarge, bad combinations 400', async () => {
      type List = { metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string; labels?: Record<string, string> } }> };
      await c.api(NODES, { method: 'POST', json: node('rv-a') });
      const then = (await (await c.api(NODES)).json()) as List;
      await c.api(NODES, { method: 'POST', json: node('rv-b') });
      await c.api(`${NODES}/rv-a`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { role: 'changed' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      const at = (await (await c.api(`${NODES}?resourceVersion=${then.metadata.resourceVersion}&resourceVersionMatch=Exact`)).json()) as List;
      expect(at.metadata.resourceVersion).to.equal(then.metadata.resourceVersion);
      expect(at.items.map((i) => i.metadata.name)).to.deep.equal(then.items.map((i) => i.metadata.name));
      expect(at.items.find((i) => i.metadata.name === 'rv-a')!.metadata.labels!.role).to.equal('db');
      // NotOlderThan (or a resourceVersion alone): the current state, never older than asked.
      const newer = (await (await c.api(`${NODES}?resourceVersion=${then.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`)).json()) as List;
      expect(newer.items.map((i) => i.metadata.name)).to.include('rv-b');
      const future = Number(newer.metadata.resourceVersion) + 1_000_000;
      for (const q of [`resourceVersion=${future}`, `resourceVersion=${future}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${future}&resourceVersionMatch=Exact`]) {
        const s = await expectStatus(await c.api(`${NODES}?${q}`), 504, 'Timeout');
        expect(s.details?.causes?.[0]?.reason, q).to.equal('ResourceVersionTooLarge');
      }
      for (const q of ['resourceVersion=abc', 'resourceVersion=1&resourceVersionMatch=Bogus', 'resourceVersionMatch=Exact', 'resourceVersion=0&resourceVersionMatch=Exact', `resourceVersion=1&continue=x`]) {
        await expectStatus(await c.api(`${NODES}?${q}`), 400, 'BadRequest');
      }
    });

    it('WatchList (sendInitialEvents=true): the current state, then a bookmark marking its end, then changes', async () => {
      await c.api(NODES, { method: 'POST', json: node('wl-1') });
      const res = await c.api(`${NODES}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dwl-1&timeoutSeconds=2`);
      await c.api(`${NODES}/wl-1`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { role: 'web' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      const events = (await readUntilEnd(res, 5000)).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> } } });
      expect(events.map((e) => e.type)).to.deep.equal(['ADDED', 'BOOKMARK', 'MODIFIED']);
      expect(events[1]!.object.kind).to.equal('Node');
      expect(events[1]!.object.metadata.annotations).to.deep.equal({ 'k8s.io/initial-events-end': 'true' });
      expect(Number(events[1]!.object.metadata.resourceVersion)).to.be.at.least(Number(events[0]!.object.metadata.resourceVersion));
      // Without the initial state: changes only.
      const only = await c.api(`${NODES}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dwl-1&timeoutSeconds=1`);
      expect(await readUntilEnd(only, 5000)).to.equal('');
      // The protocol's preconditions, and watch parameters that mean nothing.
      for (const q of ['sendInitialEvents=true', 'sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 'sendInitialEvents=true&allowWatchBookmarks=true', 'resourceVersionMatch=NotOlderThan', 'sendInitialEvents=maybe&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', 'timeoutSeconds=abc', 'timeoutSeconds=-5']) {
        await expectStatus(await c.api(`${NODES}?watch=1&${q}`), 400, 'BadRequest');
      }
      const list = (await (await c.api(NODES)).json()) as { metadata: { resourceVersion: string } };
      const s = await expectStatus(await c.api(`${NODES}?watch=1&resourceVersion=${Number(list.metadata.resourceVersion) + 1_000_000}`), 504, 'Timeout');
      expect(s.details?.causes?.[0]?.reason).to.equal('ResourceVersionTooLarge');
    });

    it('after compaction, an old continue token and an old watch get 410 Expired', async () => {
      const page = (await (await c.api(`${NODES}?limit=2`)).json()) as { metadata: { continue?: string } };
      expect(page.metadata.continue).to.be.a('string');
      await c.api(NODES, { method: 'POST', json: node('after-compact') });
      await c.controller.store.compact(await c.controller.store.currentRevision());
      const cont = await c.api(`${NODES}?limit=2&continue=${encodeURIComponent(page.metadata.continue!)}`);
      const s = await expectStatus(cont, 410, 'Expired');
      expect(s.message).to.contain('continue');
      const res = await c.api(`${NODES}?watch=1&resourceVersion=1`);
      expect(res.status).to.equal(200);
      const ev = JSON.parse((await readUntilEnd(res, 5000)).trim().split('\n').pop()!) as { type: string; object: Status };
      expect(ev.type).to.equal('ERROR');
      expect(ev.object.code).to.equal(410);
      expect(ev.object.reason).to.equal('Expired');
    });
  });
}

/** Reads a streamed body until the server ends it or the bound passes. */
async function readUntilEnd(res: Response, boundMs: number): Promise<string> {
  const reader = res.body!.getReader();
  let text = '';
  const until = Date.now() + boundMs;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) break;
    const chunk = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), left))]);
    if (!chunk || chunk.done) break;
    text += Buffer.from(chunk.value).toString();
  }
  await reader.cancel().catch(() => undefined);
  return text;
}
