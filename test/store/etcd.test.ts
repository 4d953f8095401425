// The store conformance suite against a real etcd, plus etcd-specific behaviour (compaction done by another
// client, unreachable endpoints).
import { expect } from 'chai';
import { rejection, sleep, until } from '../lib/wait.js';
import { createEtcdStore } from '@hyprbox/controller/store/etcd';
import { StoreHealth } from '@hyprbox/controller/store/health';
import { CompactedError, StoreUnavailableError } from '@hyprbox/controller/store/types';
import { pino } from 'pino';
import type { KeyValue, Store, WatchEvent } from '@hyprbox/controller/store/types';
import { createServer } from 'node:net';
import { startEtcd, useEtcd } from '../lib/etcd-server.js';
import { storeConformance } from './conformance.js';




/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

describe('etcd store', function () {
  const etcd = useEtcd();

  storeConformance('conformance', async () => {
    const store = await createEtcdStore({ endpoints: etcd().endpoints });
    return { store, close: () => store.close() };
  });

  it('an etcd out of space (NOSPACE alarm) refuses writes with StoreUnavailableError, still answers reads, and /readyz hears of it', async function () {
    this.timeout(60_000);
    // A throwaway etcd with a 2 MiB quota: a few hundred 8 KiB writes raise the alarm.
    const small = await startEtcd(['--quota-backend-bytes=2097152']);
    const store = await createEtcdStore({ endpoints: small.endpoints });
    try {
      const health = new StoreHealth(store, { log: pino({ level: 'silent' }) });
      let failed: unknown;
      for (let i = 0; i < 2000 && !failed; i++) failed = await store.create(`/full/${i}`, 'x'.repeat(8192)).then(() => undefined, (err: unknown) => err);
      expect(failed).to.be.instanceOf(StoreUnavailableError);
      expect((failed as Error).message).to.match(/etcd is out of space .*database space exceeded.*disarm the NOSPACE alarm/);
      expect(store.writeFailure?.()).to.equal((failed as Error).message);
      expect((await store.get('/full/0'))?.value).to.have.length(8192);
      await health.probe();
      expect(health.problem).to.match(/^writes fail: etcd is out of space/);
    } finally {
      await store.close();
      await small.stop();
    }
  });

  describe('etcd specifics', function () {
    const stores: Store[] = [];
    const open = async (): Promise<Store> => {
      const s = await createEtcdStore({ endpoints: etcd().endpoints });
      stores.push(s);
      return s;
    };
    afterEach(async function () {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('get() reflects every write another client made before it, also for keys it reads often (read cache)', async function () {
      this.timeout(20_000);
      const a = await open();
      const b = await open();
      const p = `/etcd-specific/${Date.now().toString(36)}-reads/`;
      const created = await b.create(`${p}k`, 'v0');
      if (!created.ok) throw new Error('create failed');
      let rev = created.kv.modRevision;
      expect((await a.get(`${p}k`))?.value).to.equal('v0');
      for (let i = 1; i <= 30; i++) {
        const r = await b.update(`${p}k`, `v${i}`, rev);
        if (!r.ok) throw new Error('update failed');
        rev = r.kv.modRevision;
        // Written by another client and acknowledged: a's very next read must see it, however it reads.
        const seen = await Promise.all([a.get(`${p}k`), a.get(`${p}k`), a.get(`${p}k`)]);
        expect(seen.map((kv) => [kv?.value, kv?.modRevision, kv?.version])).to.deep.equal(seen.map(() => [`v${i}`, rev, i + 1]));
      }
      await b.delete(`${p}k`);
      expect(await a.get(`${p}k`)).to.equal(undefined);
      const again = await b.create(`${p}k`, 'new');
      expect((await a.get(`${p}k`))?.value).to.equal('new');
      expect((await a.get(`${p}k`))?.createRevision).to.equal(again.revision);
      // Keys of an expiring lease, deleted by etcd itself.
      const lease = await b.grantLease(1);
      await b.create(`${p}leased`, 'x', { lease });
      expect((await a.get(`${p}leased`))?.value).to.equal('x');
      await until('the lease to expire', async () => (await b.get(`${p}leased`)) === undefined, 10_000);
      expect(await a.get(`${p}leased`)).to.equal(undefined);
    });

    it('getForWrite says when its copy may be stale, and an update built on a stale copy writes nothing', async function () {
      this.timeout(20_000);
      const a = await open();
      const b = await open();
      const key = `/etcd-specific/${Date.now().toString(36)}-for-write`;
      let latest = (await b.create(key, 'b0')) as { kv: KeyValue };
      await a.get(key); // a caches the key: its copies for writes come from its watch from now on
      for (let i = 1; i <= 50; i++) {
        const r = await b.update(key, `b${i}`, latest.kv.modRevision);
        if (!r.ok) throw new Error('update failed');
        latest = r;
        // Right after another client's write, a's watch may not have brought it yet.
        const { kv, exact } = await a.getForWrite(key);
        if (kv!.modRevision === latest.kv.modRevision) {
          expect(kv).to.deep.equal(latest.kv);
          continue;
        }
        expect(exact, 'a stale copy must say it may be stale').to.equal(false);
        expect(kv!.modRevision).to.be.below(latest.kv.modRevision);
        expect((await a.update(key, 'lost update', kv!.modRevision)).ok).to.equal(false);
        expect((await b.get(key))?.value).to.equal(`b${i}`);
      }
    });

    it('discovers a compaction done by another client (range, watch, compactedRevision)', async function () {
      const a = await open();
      const b = await open();
      const p = `/etcd-specific/${Date.now().toString(36)}/`;
      const r1 = (await a.create(`${p}k`, 'v1')).revision;
      const r2 = (await a.update(`${p}k`, 'v2', r1)).revision;
      const r3 = (await a.update(`${p}k`, 'v3', r2)).revision;
      await a.create(`${p}other`, 'x');
      expect(await b.compactedRevision()).to.be.lessThan(r1);
      await a.compact(r3);
      // b never compacted: it must learn the exact compaction revision from etcd.
      expect(await b.compactedRevision()).to.equal(r3);
      const c = await open();
      const err = await rejection(c.range(p, { revision: r2 }));
      expect(err).to.be.instanceOf(CompactedError);
      expect([(err as CompactedError).requested, (err as CompactedError).compactRevision]).to.deep.equal([r2, r3]);
      // The watch is cancelled by etcd itself (c's local knowledge is not consulted for it: use a fresh store).
      const d = await open();
      const errors: Error[] = [];
      const events: WatchEvent[] = [];
      d.watch(p, { fromRevision: r1, onEvents: (e) => events.push(...e), onError: (e) => errors.push(e) });
      await until('the compaction error', () => errors.length > 0);
      expect(errors[0]).to.be.instanceOf(CompactedError);
      expect([(errors[0] as CompactedError).requested, (errors[0] as CompactedError).compactRevision]).to.deep.equal([r1, r3]);
      expect(events).to.deep.equal([]);
    });

    it('grants lease ids that are safe JS integers', async function () {
      const s = await open();
      const ids = await Promise.all(Array.from({ length: 8 }, () => s.grantLease(30)));
      for (const id of ids) expect(Number.isSafeInteger(id) && id > 0, String(id)).to.equal(true);
      expect(new Set(ids).size).to.equal(8);
      await Promise.all(ids.map((id) => s.revokeLease(id)));
    });

    it('rejects with a message naming the endpoint when etcd is unreachable', async function () {
      const endpoint = `http://127.0.0.1:${await deadPort()}`;
      const started = Date.now();
      const err = await rejection(createEtcdStore({ endpoints: [endpoint], dialTimeoutMs: 500 }));
      expect(err.message).to.contain(endpoint);
      expect(err.message).to.match(/^cannot connect to etcd at /);
      expect(Date.now() - started).to.be.lessThan(10_000);
    });

    it('fails calls and watches with the endpoint named when etcd goes away', async function () {
      this.timeout(60_000);
      const own = await startEtcd();
      let store: Store | undefined;
      try {
        store = await createEtcdStore({ endpoints: own.endpoints });
        await store.create('/gone/a', '1');
        const errors: Error[] = [];
        store.watch('/gone/', { onEvents: () => undefined, onError: (e) => errors.push(e) });
        await sleep(200);
        await own.stop();
        await until('the watch to fail', () => errors.length > 0, 30_000);
        expect(errors).to.have.length(1);
        expect(errors[0]!.message).to.contain(own.endpoints[0]!);
        const err = await rejection(store.get('/gone/a'));
        expect(err.message).to.contain(own.endpoints[0]!);
        expect(err.message).to.match(/unreachable/);
      } finally {
        await store?.close();
        await own.stop();
      }
    });
  });
});
