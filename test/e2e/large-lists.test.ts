// Lists larger than a page, on both store backends: without a limit they are streamed a page at a time and
// arrive whole (JSON, YAML, Table, PartialObjectMetadataList, with selectors); a limit above 500 gets 500 and a
// continue token, and a page ends at 4 MiB of objects. The server never holds more than a page per request
// (the load that used to exhaust its heap is a benchmark matter; this checks the answers).
import { expect } from 'chai';
import { parse } from 'yaml';
import { startTestController } from '../lib/controller.js';
import type { Backend, TestController } from '../lib/controller.js';

const COUNT = 620;
const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/bulk/nodes';
const name = (i: number) => `n-${String(i).padStart(4, '0')}`;
interface List {
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: Array<{ kind?: string; metadata: { name: string; resourceVersion: string; labels?: Record<string, string> }; spec?: unknown }>;
}

for (const backend of ['sqlite', 'etcd'] as Backend[]) {
  describe(`large lists (${backend})`, function () {
    this.timeout(120_000);
    let c: TestController;
    let rv: number;
    before(async () => {
      c = await startTestController(backend, ['--tls', 'off']);
      expect((await c.api('/api/v1/namespaces', { method: 'POST', json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bulk' } } })).status).to.equal(201);
      for (let i = 0; i < COUNT; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, async (_, k) => {
            const n = i + k;
            const labels = { pick: n % 2 === 0 ? 'yes' : 'no' };
            const res = await c.api(NODES, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: name(n), labels }, spec: {} } });
            expect(res.status).to.equal(201);
          }),
        );
      }
      rv = await c.controller.store.currentRevision();
    });
    after(async () => c?.stop());

    const all = Array.from({ length: COUNT }, (_, i) => name(i));

    it('without a limit: every object once, in order, at one revision, streamed (no Content-Length), no continue', async () => {
      const res = await c.api(NODES);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-length')).to.equal(null);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const list = (await res.json()) as List;
      expect(list.kind).to.equal('NodeList');
      expect(list.items.map((o) => o.metadata.name)).to.deep.equal(all);
      expect(list.metadata.continue).to.equal(undefined);
      expect(Number(list.metadata.resourceVersion)).to.be.at.least(rv);
      expect(list.items.every((o) => Number(o.metadata.resourceVersion) <= Number(list.metadata.resourceVersion))).to.equal(true);
    });

    it('with a selector: the matches of every page', async () => {
      const res = await c.api(`${NODES}?labelSelector=pick%3Dyes`);
      expect(res.headers.get('content-length')).to.equal(null);
      const list = (await res.json()) as List;
      expect(list.items.map((o) => o.metadata.name)).to.deep.equal(all.filter((_, i) => i % 2 === 0));
    });

    it('as YAML, as a Table and as PartialObjectMetadataList, whole', async () => {
      const yaml = await c.api(NODES, { headers: { Accept: 'application/yaml' } });
      expect(yaml.headers.get('content-type')).to.match(/^application\/yaml/);
      const y = parse(await yaml.text()) as List;
      expect(y.kind).to.equal('NodeList');
      expect(y.items.map((o) => o.metadata.name)).to.deep.equal(all);
      const table = (await (await c.api(NODES, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } })).json()) as { kind: string; columnDefinitions: unknown[]; rows: Array<{ cells: unknown[] }> };
      expect(table.kind).to.equal('Table');
      expect(table.columnDefinitions.length).to.be.greaterThan(1);
      expect(table.rows.map((r) => r.cells[0])).to.deep.equal(all);
      const partial = (await (await c.api(NODES, { headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } })).json()) as List;
      expect(partial.kind).to.equal('PartialObjectMetadataList');
      expect(partial.items.map((o) => o.metadata.name)).to.deep.equal(all);
      expect(partial.items.every((o) => o.kind === 'PartialObjectMetadata' && o.spec === undefined)).to.equal(true);
    });

    it('a limit above 500 gets 500 and a continue token, and the rest follows', async () => {
      const first = (await (await c.api(`${NODES}?limit=100000`)).json()) as List;
      expect(first.items).to.have.length(500);
      expect(first.metadata.continue).to.be.a('string');
      const rest = (await (await c.api(`${NODES}?limit=100000&continue=${encodeURIComponent(first.metadata.continue!)}`)).json()) as List;
      expect([...first.items, ...rest.items].map((o) => o.metadata.name)).to.deep.equal(all);
      expect(rest.metadata.continue).to.equal(undefined);
    });

    it('a page also ends at 4 MiB of objects: 40 objects of 200 KB come in pages of about 20, each with a continue token', async () => {
      const ns = '/apis/hyprbox.io/v1alpha1/namespaces/heavy/nodes';
      expect((await c.api('/api/v1/namespaces', { method: 'POST', json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'heavy' } } })).status).to.equal(201);
      const pad = 'x'.repeat(200 * 1024);
      const heavy = Array.from({ length: 40 }, (_, i) => `h-${String(i).padStart(2, '0')}`);
      for (const n of heavy) {
        const res = await c.api(ns, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: n, annotations: { pad } }, spec: {} } });
        expect(res.status).to.equal(201);
      }
      const got: string[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      do {
        const page = (await (await c.api(`${ns}?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`)).json()) as List;
        sizes.push(page.items.length);
        got.push(...page.items.map((o) => o.metadata.name));
        token = page.metadata.continue;
      } while (token);
      expect(got).to.deep.equal(heavy);
      expect(sizes.length).to.be.within(2, 3);
      expect(Math.max(...sizes)).to.be.within(19, 21);
      // A small limit still binds first.
      expect(((await (await c.api(`${ns}?limit=5`)).json()) as List).items).to.have.length(5);
    });
  });
}
