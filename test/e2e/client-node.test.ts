// @kubernetes/client-node, unmodified, against the controller: the generic object API and an informer that
// survives the controller restarting past a compaction.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import * as k8s from '@kubernetes/client-node';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { startTestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';
import type { Backend, TestController } from '../lib/controller.js';

interface HNode extends k8s.KubernetesObject {
  spec?: { paused?: boolean };
}

const node = (name: string, labels: Record<string, string> = {}): HNode => ({
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name, namespace: 'default', labels },
  spec: {},
});

function clientFor(c: { kubeconfig: string }): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return kc;
}


for (const backend of ['sqlite', 'etcd'] as Backend[]) {
  describe(`@kubernetes/client-node KubernetesObjectApi (${backend})`, function () {
    this.timeout(60_000);
    let c: TestController;
    let api: k8s.KubernetesObjectApi;
    before(async () => {
      c = await startTestController(backend);
      api = k8s.KubernetesObjectApi.makeApiClient(clientFor(c));
    });
    after(async () => c?.stop());

    it('creates, reads, patches, lists and deletes', async () => {
      const created = await api.create(node('obj-1', { role: 'web' }));
      expect(created.metadata?.uid).to.be.a('string');
      const read = await api.read<HNode>({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'obj-1', namespace: 'default' } });
      expect(read.spec?.paused).to.equal(false);
      const patched = await api.patch<HNode>(
        { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'obj-1', namespace: 'default' }, spec: { paused: true } } as HNode,
        undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch,
      );
      expect(patched.spec?.paused).to.equal(true);
      expect(patched.metadata?.generation).to.equal(2);
      const list = await api.list<HNode>('hyprbox.io/v1alpha1', 'Node', 'default', undefined, undefined, undefined, undefined, 'role=web');
      expect(list.items.map((i) => i.metadata?.name)).to.deep.equal(['obj-1']);
      await api.delete({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'obj-1', namespace: 'default' } });
      let code = 0;
      try {
        await api.read({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'obj-1', namespace: 'default' } });
      } catch (err) {
        code = (err as { code?: number }).code ?? 0;
      }
      expect(code).to.equal(404);
    });

    it('reports a conflict on a stale replace', async () => {
      const created = await api.create(node('obj-2'));
      await api.patch<HNode>({ ...node('obj-2'), metadata: { name: 'obj-2', namespace: 'default', labels: { a: 'b' } } }, undefined, undefined, undefined, undefined, k8s.PatchStrategy.MergePatch);
      let code = 0;
      try {
        await api.replace({ ...created, spec: { paused: true } });
      } catch (err) {
        code = (err as { code?: number }).code ?? 0;
      }
      expect(code).to.equal(409);
    });
  });
}

describe('@kubernetes/client-node informer across a restart and a compaction (sqlite)', function () {
  this.timeout(60_000);

  it('relists after 410 and converges on the store state', async () => {
    const port = await freePort();
    const first = await startTestController('sqlite', []);
    // Restart on a fixed port so the informer's kubeconfig stays valid.
    await first.controller.stop();
    const config = loadConfig(['--data-dir', first.dataDir, '--listen', `127.0.0.1:${port}`], {});
    const log = pino({ level: 'silent' });
    let controller = await startController(config, { log });
    const kc = clientFor(first);
    kc.clusters[0] = { ...kc.clusters[0]!, server: controller.url };
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.create(node('inf-1'));
    await objects.create(node('inf-2'));

    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const path = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';
    let lists = 0;
    const informer = k8s.makeInformer<HNode>(kc, path, () => {
      lists += 1;
      return custom.listNamespacedCustomObject({ group: 'hyprbox.io', version: 'v1alpha1', namespace: 'default', plural: 'nodes' }) as Promise<k8s.KubernetesListObject<HNode>>;
    });
    informer.on('error', () => {
      // The controller is down for a moment: start again, as an informer's owner does.
      setTimeout(() => void informer.start().catch(() => undefined), 200);
    });
    await informer.start();
    const names = () => informer.list('default').map((o) => o.metadata!.name).sort();
    await until('initial list', () => names().join() === 'inf-1,inf-2');

    // Controller down; meanwhile the store changes and is compacted past the informer's resourceVersion.
    await controller.stop();
    const store = createSqliteStore({ file: `${first.dataDir}/hyprbox.db` });
    const gone = await store.get('/registry/hyprbox.io/nodes/default/inf-1');
    await store.delete(gone!.key);
    const tmpl = JSON.parse(gone!.value) as { metadata: Record<string, unknown> };
    await store.create('/registry/hyprbox.io/nodes/default/inf-3', JSON.stringify({ ...tmpl, metadata: { ...tmpl.metadata, name: 'inf-3', uid: 'u-3' } }));
    await store.compact(await store.currentRevision());
    await store.close();
    controller = await startController(config, { log });
    try {
      await until('relist after the restart', () => names().join() === 'inf-2,inf-3', 20_000);
      // The events in between were compacted away: only a second list can explain the new state.
      expect(lists).to.be.at.least(2);
      // And it keeps watching: a change after the relist arrives.
      await objects.create(node('inf-4'));
      await until('live event after relist', () => names().join() === 'inf-2,inf-3,inf-4');
    } finally {
      await informer.stop();
      await controller.stop();
      await first.stop().catch(() => undefined);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
