// The controller through an etcd outage (etcd killed, then started again on its data): it stays up, says it is
// not ready, answers 503 with Retry-After instead of hanging or failing with 500, keeps its clients' watches,
// and serves again, watches included, once etcd is back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { sleep, until } from '../lib/wait.js';

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';

describe('the controller through an etcd outage', function () {
  this.timeout(120_000);
  let c: TestController;
  before(async () => {
    // A short node grace makes the node-lifecycle pass run every second, so it fails several times below.
    c = await startTestController('etcd', ['--tls', 'off', '--node-grace-seconds', '4']);
  });
  after(async () => c?.stop());

  const readyz = async () => (await fetch(`${c.url}/readyz`)).status;

  it('is not ready and answers 503 while etcd is down, and serves again, watches included, when it is back', async () => {
    const created = (await (await c.api(NODES, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'o-1' }, spec: {} } })).json()) as { metadata: { resourceVersion: string } };
    const watch = await c.api(`${NODES}?watch=1&resourceVersion=${created.metadata.resourceVersion}`);
    expect(watch.status).to.equal(200);
    const reader = watch.body!.getReader();
    let seen = '';
    const pump = (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return;
        seen += Buffer.from(chunk.value).toString();
      }
    })();

    await c.etcd!.crash();
    await until('readyz to report the store away', async () => (await readyz()) === 503, 20_000);
    expect((await fetch(`${c.url}/healthz`)).status).to.equal(200);
    // As Kubernetes words it: which check failed, never why (the path is public).
    expect(await (await fetch(`${c.url}/readyz`)).text()).to.equal('[+]ping ok\n[+]started ok\n[-]store failed: reason withheld\nreadyz check failed\n');
    const down = await c.api(`${NODES}/o-1`);
    expect(down.status).to.equal(503);
    expect(down.headers.get('retry-after')).to.equal('1');
    expect(((await down.json()) as { reason: string }).reason).to.equal('ServiceUnavailable');
    const write = await c.api(`${NODES}/o-1`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { during: 'outage' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
    expect(write.status).to.equal(503);
    // Background work (node lifecycle, watch caches, the audit trail) meets the outage for a few passes.
    await sleep(3000);

    await c.etcd!.restart();
    await until('readyz once etcd is back', async () => (await readyz()) === 200, 30_000);
    await until('a write to succeed', async () => {
      const res = await c.api(`${NODES}/o-1`, { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { after: 'outage' } } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
      await res.text();
      return res.status === 200;
    }, 30_000);
    // The watch opened before the outage sees the change made after it; the write refused during it never happened.
    await until('the old watch to deliver the change', () => seen.includes('"after":"outage"'), 20_000);
    expect(seen).to.not.contain('"during"');
    const now = (await (await c.api(`${NODES}/o-1`)).json()) as { metadata: { labels?: Record<string, string> } };
    expect(now.metadata.labels).to.deep.equal({ after: 'outage' });
    // The audit trail held the refused write's event until the store was back: the file and the store both have it.
    const refused = (e: { verb?: string; name?: string; code?: number }) => e.verb === 'patch' && e.name === 'o-1' && e.code === 503;
    await until('the refused write in the stored audit trail', async () => {
      const list = (await (await c.api('/apis/hyprbox.io/v1alpha1/auditevents')).json()) as { items: Array<{ verb?: string; name?: string; code?: number }> };
      return list.items.some(refused);
    }, 30_000);
    const file = readFileSync(join(c.dataDir, 'audit', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verb?: string; name?: string; code?: number });
    expect(file.some(refused)).to.equal(true);
    await reader.cancel();
    await pump.catch(() => undefined);
  });

  it('answers 503 when etcd stops answering (a partition: connected, silent) and recovers when it speaks again', async () => {
    process.kill(c.etcd!.pid!, 'SIGSTOP');
    try {
      await until('readyz to report the silent store', async () => (await readyz()) === 503, 30_000);
      // The request is not left hanging: each etcd call has a deadline and is retried once.
      const res = await c.api(`${NODES}/o-1`);
      expect(res.status).to.equal(503);
      expect(res.headers.get('retry-after')).to.equal('1');
    } finally {
      process.kill(c.etcd!.pid!, 'SIGCONT');
    }
    await until('readyz once etcd answers again', async () => (await readyz()) === 200, 30_000);
    await until('a read to succeed', async () => {
      const res = await c.api(`${NODES}/o-1`);
      await res.text();
      return res.status === 200;
    }, 30_000);
  });
});
