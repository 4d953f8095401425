// Store conformance: the same behavioural tests for every backend (SQLite, etcd). Each test works under its
// own key prefix, so one backend instance can serve the whole suite; tests assume nothing else writes to the
// backend while they run (mocha runs them one at a time), which lets them assert exact revisions.
import { expect } from 'chai';
import { rejection, sleep, until } from '../lib/wait.js';
import { CompactedError, FutureRevisionError } from '@hyprbox/controller/store/types';
import type { KeyValue, Store, Watch, WatchEvent, WatchOptions } from '@hyprbox/controller/store/types';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

let seq = 0;
const uniquePrefix = (): string => `/conformance/${process.pid}-${Date.now().toString(36)}-${++seq}/`;




/** Records what a watch delivers. */
class Recorder {
  readonly batches: WatchEvent[][] = [];
  readonly errors: Error[] = [];
  get events(): WatchEvent[] {
    return this.batches.flat();
  }
  options(fromRevision?: number): WatchOptions {
    return {
      ...(fromRevision !== undefined ? { fromRevision } : {}),
      onEvents: (events) => {
        this.batches.push(events);
      },
      onError: (err) => {
        this.errors.push(err);
      },
    };
  }
}

/** A compact, exact description of an event for deep-equality assertions. */
const brief = (e: WatchEvent): { type: string; key: string; value: string; rev: number; prev?: string } => ({
  type: e.type,
  key: e.kv.key,
  value: e.kv.value,
  rev: e.kv.modRevision,
  ...(e.prev ? { prev: e.prev.value } : {}),
});

const kvOf = (r: { ok: boolean; kv?: KeyValue }): KeyValue => {
  expect(r.ok, 'write should have succeeded').to.equal(true);
  return r.kv!;
};

export function storeConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(name, function () {
    let opened: OpenedStore | undefined;
    let store: Store;
    let p: string;
    let watches: Watch[] = [];

    beforeEach(async function () {
      opened = await open();
      store = opened.store;
      p = uniquePrefix();
    });

    afterEach(async function () {
      for (const w of watches) w.cancel();
      watches = [];
      await opened?.close();
      opened = undefined;
    });

    const watch = (prefix: string, rec: Recorder, fromRevision?: number): Watch => {
      const w = store.watch(prefix, rec.options(fromRevision));
      watches.push(w);
      return w;
    };

    describe('create / get', function () {
      it('creates a key and reads it back with full bookkeeping', async function () {
        const base = await store.currentRevision();
        const r = await store.create(`${p}a`, 'one');
        const kv: KeyValue = { key: `${p}a`, value: 'one', createRevision: base + 1, modRevision: base + 1, version: 1, lease: 0 };
        expect(r).to.deep.equal({ ok: true, revision: base + 1, kv });
        expect(await store.get(`${p}a`)).to.deep.equal(kv);
        expect(await store.get(`${p}missing`)).to.equal(undefined);
        expect(await store.currentRevision()).to.equal(base + 1);
      });

      it('refuses to create an existing key and returns the current value', async function () {
        const first = kvOf(await store.create(`${p}a`, 'one'));
        const second = await store.create(`${p}a`, 'two');
        expect(second).to.deep.equal({ ok: false, revision: first.modRevision, current: first });
        expect(await store.get(`${p}a`)).to.deep.equal(first);
        expect(await store.currentRevision()).to.equal(first.modRevision);
      });

      it('stores values byte-exactly (JSON, unicode, empty)', async function () {
        const values = ['{"a":[1,2,{"b":null}]}', 'ünïcødé ✓ 🚀', ''];
        for (const [i, v] of values.entries()) await store.create(`${p}${i}`, v);
        for (const [i, v] of values.entries()) expect((await store.get(`${p}${i}`))?.value).to.equal(v);
      });
    });

    describe('createMany', function () {
      it('creates the absent keys at one revision, reports the existing ones, and a watch sees one batch', async function () {
        const existing = kvOf(await store.create(`${p}b`, 'old'));
        const rec = new Recorder();
        watch(p, rec, existing.modRevision + 1);
        const results = await store.createMany([{ key: `${p}a`, value: 'A' }, { key: `${p}b`, value: 'B' }, { key: `${p}c`, value: 'C' }]);
        const rev = existing.modRevision + 1;
        const kv = (k: string, v: string): KeyValue => ({ key: `${p}${k}`, value: v, createRevision: rev, modRevision: rev, version: 1, lease: 0 });
        expect(results[0]).to.deep.equal({ ok: true, revision: rev, kv: kv('a', 'A') });
        expect(results[1]).to.deep.include({ ok: false, current: existing });
        expect(results[2]).to.deep.equal({ ok: true, revision: rev, kv: kv('c', 'C') });
        expect(await store.currentRevision()).to.equal(rev);
        expect((await store.range(p)).kvs.map((k) => k.value)).to.deep.equal(['A', 'old', 'C']);
        await until('the batch', () => rec.events.length >= 2);
        expect(rec.batches.map((b) => b.map(brief))).to.deep.equal([[
          { type: 'put', key: `${p}a`, value: 'A', rev },
          { type: 'put', key: `${p}c`, value: 'C', rev },
        ]]);
      });

      it('writes nothing when every key exists, and nothing at all for an unknown lease or a repeated key', async function () {
        const a = kvOf(await store.create(`${p}a`, 'A'));
        expect(await store.createMany([{ key: `${p}a`, value: 'x' }])).to.deep.equal([{ ok: false, revision: a.modRevision, current: a }]);
        const lease = await store.grantLease(60);
        await store.revokeLease(lease);
        const base = await store.currentRevision();
        await rejection(store.createMany([{ key: `${p}b`, value: 'B' }, { key: `${p}c`, value: 'C', lease }]));
        await rejection(store.createMany([{ key: `${p}d`, value: 'D' }, { key: `${p}d`, value: 'D' }]));
        expect(await store.currentRevision()).to.equal(base);
        expect((await store.range(p)).kvs.map((k) => k.key)).to.deep.equal([`${p}a`]);
      });

      it('attaches each key to its lease (a revoke deletes them)', async function () {
        const lease = await store.grantLease(60);
        const r = await store.createMany([{ key: `${p}a`, value: 'A', lease }, { key: `${p}b`, value: 'B' }]);
        expect(r.map((x) => x.ok && x.kv.lease)).to.deep.equal([lease, 0]);
        await store.revokeLease(lease);
        expect((await store.range(p)).kvs.map((k) => k.key)).to.deep.equal([`${p}b`]);
      });
    });

    describe('update / delete preconditions', function () {
      it('updates only with the right modRevision', async function () {
        const v1 = kvOf(await store.create(`${p}a`, 'one'));
        const wrong = await store.update(`${p}a`, 'two', v1.modRevision - 1);
        expect(wrong).to.deep.equal({ ok: false, revision: v1.modRevision, current: v1 });
        const right = await store.update(`${p}a`, 'two', v1.modRevision);
        const v2: KeyValue = { ...v1, value: 'two', modRevision: v1.modRevision + 1, version: 2 };
        expect(right).to.deep.equal({ ok: true, revision: v1.modRevision + 1, kv: v2 });
        expect(await store.get(`${p}a`)).to.deep.equal(v2);
        // The old modRevision is stale now.
        expect(await store.update(`${p}a`, 'three', v1.modRevision)).to.deep.equal({ ok: false, revision: v2.modRevision, current: v2 });
      });

      it('never updates an absent key, whatever modRevision is expected', async function () {
        const base = await store.currentRevision();
        expect(await store.update(`${p}absent`, 'x', 0)).to.deep.equal({ ok: false, revision: base });
        expect(await store.update(`${p}absent`, 'x', base)).to.deep.equal({ ok: false, revision: base });
        expect(await store.get(`${p}absent`)).to.equal(undefined);
        expect(await store.currentRevision()).to.equal(base);
      });

      it('deletes with a matching precondition and refuses a stale one', async function () {
        const v1 = kvOf(await store.create(`${p}a`, 'one'));
        const v2 = kvOf(await store.update(`${p}a`, 'two', v1.modRevision));
        expect(await store.delete(`${p}a`, v1.modRevision)).to.deep.equal({ ok: false, revision: v2.modRevision, current: v2 });
        expect(await store.get(`${p}a`)).to.deep.equal(v2);
        expect(await store.delete(`${p}a`, v2.modRevision)).to.deep.equal({ ok: true, revision: v2.modRevision + 1, prev: v2 });
        expect(await store.get(`${p}a`)).to.equal(undefined);
      });

      it('deletes without a precondition, and reports an absent key', async function () {
        const v1 = kvOf(await store.create(`${p}a`, 'one'));
        expect(await store.delete(`${p}a`)).to.deep.equal({ ok: true, revision: v1.modRevision + 1, prev: v1 });
        expect(await store.delete(`${p}a`)).to.deep.equal({ ok: false, revision: v1.modRevision + 1 });
        expect(await store.delete(`${p}never`, 5)).to.deep.equal({ ok: false, revision: v1.modRevision + 1 });
        expect(await store.currentRevision()).to.equal(v1.modRevision + 1);
      });

      it('keeps createRevision, counts versions, and starts over after a delete', async function () {
        const v1 = kvOf(await store.create(`${p}a`, '1'));
        const v2 = kvOf(await store.update(`${p}a`, '2', v1.modRevision));
        const v3 = kvOf(await store.update(`${p}a`, '3', v2.modRevision));
        expect([v1.version, v2.version, v3.version]).to.deep.equal([1, 2, 3]);
        expect([v2.createRevision, v3.createRevision]).to.deep.equal([v1.createRevision, v1.createRevision]);
        expect([v2.modRevision, v3.modRevision]).to.deep.equal([v1.modRevision + 1, v1.modRevision + 2]);
        await store.delete(`${p}a`);
        const again = kvOf(await store.create(`${p}a`, 'new'));
        expect(again).to.deep.equal({ key: `${p}a`, value: 'new', createRevision: v3.modRevision + 2, modRevision: v3.modRevision + 2, version: 1, lease: 0 });
      });

      it('lets exactly one of 64 concurrent updates with the same expected modRevision win', async function () {
        const v1 = kvOf(await store.create(`${p}hot`, 'start'));
        const results = await Promise.all(
          Array.from({ length: 64 }, (_, i) => store.update(`${p}hot`, `writer-${i}`, v1.modRevision)),
        );
        const winners = results.filter((r) => r.ok);
        expect(winners).to.have.length(1);
        const won = kvOf(winners[0]!);
        expect(won).to.deep.equal({ ...v1, value: won.value, modRevision: v1.modRevision + 1, version: 2 });
        for (const r of results.filter((x) => !x.ok)) expect(r).to.deep.equal({ ok: false, revision: won.modRevision, current: won });
        expect(await store.get(`${p}hot`)).to.deep.equal(won);
        expect(await store.currentRevision()).to.equal(v1.modRevision + 1);
      });
    });

    describe('getForWrite', function () {
      it("returns the writer's own last write at once (an update built on it succeeds), and an absent key exactly", async function () {
        expect(await store.getForWrite(`${p}absent`)).to.deep.equal({ kv: undefined, exact: true });
        let last = kvOf(await store.create(`${p}w`, 'v0'));
        expect((await store.get(`${p}w`))?.modRevision).to.equal(last.modRevision); // read once: cached where there is a cache
        for (let i = 1; i <= 20; i++) {
          const { kv } = await store.getForWrite(`${p}w`);
          expect(kv).to.deep.equal(last);
          last = kvOf(await store.update(`${p}w`, `v${i}`, kv!.modRevision));
        }
        expect(await store.get(`${p}w`)).to.deep.equal(last);
      });
    });

    describe('revisions', function () {
      it('are strictly increasing by one per write and shared across keys', async function () {
        const base = await store.currentRevision();
        const revs = [
          (await store.create(`${p}a`, '1')).revision,
          (await store.create(`${p}b`, '1')).revision,
          kvOf(await store.update(`${p}a`, '2', base + 1)).modRevision,
          (await store.delete(`${p}b`)).revision,
          (await store.create(`${p}c`, '1')).revision,
        ];
        expect(revs).to.deep.equal([base + 1, base + 2, base + 3, base + 4, base + 5]);
        expect(await store.currentRevision()).to.equal(base + 5);
        // Reads and failed writes do not consume revisions.
        await store.get(`${p}a`);
        await store.range(p);
        await store.create(`${p}a`, 'dup');
        expect(await store.currentRevision()).to.equal(base + 5);
      });
    });

    describe('range', function () {
      const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);

      async function create25(): Promise<void> {
        // Insert in a scrambled order; range must return key order regardless.
        for (const i of keys.map((_, i) => (i * 7) % 25)) await store.create(`${p}${keys[i]!}`, `v${i}`);
      }

      it('returns the keys under a prefix in key order, with count and more', async function () {
        await create25();
        const r = await store.range(p);
        expect(r.kvs.map((kv) => kv.key)).to.deep.equal(keys.map((k) => p + k));
        expect(r.kvs.map((kv) => kv.value)).to.deep.equal(keys.map((_, i) => `v${i}`));
        expect(r.count).to.equal(25);
        expect(r.more).to.equal(false);
        expect(r.revision).to.equal(await store.currentRevision());
        const limited = await store.range(p, { limit: 3 });
        expect(limited.kvs.map((kv) => kv.key)).to.deep.equal(keys.slice(0, 3).map((k) => p + k));
        expect([limited.count, limited.more]).to.deep.equal([25, true]);
        const exact = await store.range(p, { limit: 25 });
        expect([exact.kvs.length, exact.count, exact.more]).to.deep.equal([25, 25, false]);
        // skipCount: the same page without the count (which costs a scan of the prefix on SQLite).
        const uncounted = await store.range(p, { limit: 3, after: p + keys[0]!, skipCount: true });
        expect([uncounted.kvs.map((kv) => kv.key), uncounted.more, 'count' in uncounted]).to.deep.equal([keys.slice(1, 4).map((k) => p + k), true, false]);
        const empty = await store.range(`${p}nothing/`);
        expect(empty).to.deep.equal({ kvs: [], more: false, count: 0, revision: r.revision });
      });

      it('paginates 25 keys in pages of 10 with limit/after, each key exactly once', async function () {
        await create25();
        const seen: string[] = [];
        const pages: { n: number; more: boolean; count: number }[] = [];
        let after: string | undefined;
        let revision: number | undefined;
        for (let i = 0; i < 10; i++) {
          const page = await store.range(p, { limit: 10, ...(after !== undefined ? { after } : {}), ...(revision ? { revision } : {}) });
          revision ??= page.revision;
          expect(page.revision).to.equal(revision);
          pages.push({ n: page.kvs.length, more: page.more, count: page.count! });
          seen.push(...page.kvs.map((kv) => kv.key));
          if (!page.more) break;
          after = page.kvs.at(-1)!.key;
          // A write between pages must not show up: pages are read at the first page's revision.
          if (i === 0) await store.create(`${p}k05a`, 'late');
        }
        expect(pages).to.deep.equal([
          { n: 10, more: true, count: 25 },
          { n: 10, more: true, count: 25 },
          { n: 5, more: false, count: 25 },
        ]);
        expect(seen).to.deep.equal(keys.map((k) => p + k));
      });

      it('treats after as exclusive and ignores an after before the prefix', async function () {
        await create25();
        const r = await store.range(p, { after: `${p}k10`, limit: 2 });
        expect(r.kvs.map((kv) => kv.key)).to.deep.equal([`${p}k11`, `${p}k12`]);
        expect([r.count, r.more]).to.deep.equal([25, true]);
        const before = await store.range(p, { after: '/', limit: 1 });
        expect(before.kvs.map((kv) => kv.key)).to.deep.equal([`${p}k00`]);
        const last = await store.range(p, { after: `${p}k24` });
        expect([last.kvs.length, last.count, last.more]).to.deep.equal([0, 25, false]);
      });

      it('isolates prefixes (/a/ does not see /ab/ or /a)', async function () {
        for (const k of ['a', 'a/1', 'a/2', 'ab/1', 'a0', 'b/1']) await store.create(`${p}${k}`, k);
        const a = await store.range(`${p}a/`);
        expect(a.kvs.map((kv) => kv.key)).to.deep.equal([`${p}a/1`, `${p}a/2`]);
        expect(a.count).to.equal(2);
        const ab = await store.range(`${p}ab/`);
        expect(ab.kvs.map((kv) => kv.value)).to.deep.equal(['ab/1']);
        expect(ab.count).to.equal(1);
        const all = await store.range(p);
        expect(all.kvs.map((kv) => kv.value)).to.deep.equal(['a', 'a/1', 'a/2', 'a0', 'ab/1', 'b/1']);
      });

      it('reads an older revision as a snapshot', async function () {
        const r1 = kvOf(await store.create(`${p}a`, 'v1')).modRevision;
        const r2 = kvOf(await store.update(`${p}a`, 'v2', r1)).modRevision;
        const r3 = kvOf(await store.create(`${p}b`, 'b1')).modRevision;
        const r4 = (await store.delete(`${p}a`)).revision;
        const at = async (revision?: number): Promise<[string[], number, number]> => {
          const r = await store.range(p, revision ? { revision } : {});
          return [r.kvs.map((kv) => `${kv.key.slice(p.length)}=${kv.value}@${kv.modRevision}/${kv.version}`), r.count!, r.revision];
        };
        expect(await at(r1)).to.deep.equal([[`a=v1@${r1}/1`], 1, r1]);
        expect(await at(r2)).to.deep.equal([[`a=v2@${r2}/2`], 1, r2]);
        expect(await at(r3)).to.deep.equal([[`a=v2@${r2}/2`, `b=b1@${r3}/1`], 2, r3]);
        expect(await at(r4)).to.deep.equal([[`b=b1@${r3}/1`], 1, r4]);
        expect(await at()).to.deep.equal([[`b=b1@${r3}/1`], 1, r4]);
        const paged = await store.range(p, { revision: r3, limit: 1, after: `${p}a` });
        expect(paged.kvs.map((kv) => kv.key)).to.deep.equal([`${p}b`]);
        expect([paged.count, paged.more, paged.revision]).to.deep.equal([2, false, r3]);
      });
    });

    describe('compaction', function () {
      it('rejects reads below the compacted revision with CompactedError', async function () {
        const r1 = kvOf(await store.create(`${p}a`, 'v1')).modRevision;
        const r2 = kvOf(await store.update(`${p}a`, 'v2', r1)).modRevision;
        const r3 = kvOf(await store.update(`${p}a`, 'v3', r2)).modRevision;
        await store.compact(r3);
        expect(await store.compactedRevision()).to.equal(r3);
        for (const below of [r1, r2]) {
          const err = await rejection(store.range(p, { revision: below }));
          expect(err).to.be.instanceOf(CompactedError);
          expect([(err as CompactedError).requested, (err as CompactedError).compactRevision]).to.deep.equal([below, r3]);
        }
        const at = await store.range(p, { revision: r3 });
        expect(at.kvs.map((kv) => kv.value)).to.deep.equal(['v3']);
        // Compacting to an older revision again is a no-op.
        await store.compact(r2);
        expect(await store.compactedRevision()).to.equal(r3);
      });

      it('keeps the latest value of every key readable', async function () {
        const a1 = kvOf(await store.create(`${p}a`, 'a1'));
        const b1 = kvOf(await store.create(`${p}b`, 'b1'));
        const c1 = kvOf(await store.create(`${p}c`, 'c1'));
        const a2 = kvOf(await store.update(`${p}a`, 'a2', a1.modRevision));
        await store.delete(`${p}c`, c1.modRevision);
        const d1 = kvOf(await store.create(`${p}d`, 'd1'));
        const rev = await store.currentRevision();
        await store.compact(rev);
        expect(await store.compactedRevision()).to.equal(rev);
        const latest = await store.range(p);
        expect(latest.kvs).to.deep.equal([a2, b1, d1]);
        expect(latest.count).to.equal(3);
        const atCompacted = await store.range(p, { revision: rev });
        expect(atCompacted.kvs).to.deep.equal([a2, b1, d1]);
        expect(await store.get(`${p}a`)).to.deep.equal(a2);
        expect(await store.get(`${p}c`)).to.equal(undefined);
        // Writes continue normally after compaction.
        expect(kvOf(await store.update(`${p}b`, 'b2', b1.modRevision))).to.deep.equal({ ...b1, value: 'b2', modRevision: rev + 1, version: 2 });
      });

      it('compacts again and again: snapshots at each compaction point stay exact, and a tombstone at it is gone', async function () {
        const a1 = kvOf(await store.create(`${p}a`, 'a1')).modRevision;
        const b1 = kvOf(await store.create(`${p}b`, 'b1')).modRevision;
        kvOf(await store.create(`${p}c`, 'c1'));
        const a2 = kvOf(await store.update(`${p}a`, 'a2', a1)).modRevision;
        const first = (await store.delete(`${p}b`, b1)).revision;
        await store.compact(first);
        const at = async (rev: number) => (await store.range(p, { revision: rev })).kvs.map((kv) => kv.value);
        expect(await at(first)).to.deep.equal(['a2', 'c1']);
        // Keys untouched since the first compaction (c) keep their row; touched ones lose the older rows.
        const c = (await store.get(`${p}c`))!;
        const c2 = kvOf(await store.update(`${p}c`, 'c2', c.modRevision)).modRevision;
        kvOf(await store.create(`${p}b`, 'b2'));
        const second = (await store.delete(`${p}a`, a2)).revision;
        await store.compact(second);
        expect(await at(second)).to.deep.equal(['b2', 'c2']);
        expect(await rejection(store.range(p, { revision: second - 1 }))).to.be.instanceOf(CompactedError);
        const rec = new Recorder();
        watch(p, rec, second);
        const d = kvOf(await store.create(`${p}d`, 'd1')).modRevision;
        await until('the new write', () => rec.events.length >= 1);
        expect(rec.events.map(brief)).to.deep.equal([{ type: 'put', key: `${p}d`, value: 'd1', rev: d }]);
        await store.compact(d);
        expect(await at(d)).to.deep.equal(['b2', 'c2', 'd1']);
        expect(c2).to.be.lessThan(second);
      });

      it('rejects a read at a future revision with FutureRevisionError', async function () {
        await store.create(`${p}f`, 'f1');
        const rev = await store.currentRevision();
        const err = await rejection(store.range(p, { revision: rev + 1000 }));
        expect(err).to.be.instanceOf(FutureRevisionError);
        expect((err as FutureRevisionError).requested).to.equal(rev + 1000);
      });

      it('refuses to compact to a future revision', async function () {
        const rev = await store.currentRevision();
        await rejection(store.compact(rev + 100));
        expect(await store.currentRevision()).to.equal(rev);
      });
    });

    describe('watch', function () {
      it('replays puts and deletes from an old revision, then streams live ones', async function () {
        const c1 = kvOf(await store.create(`${p}a`, 'a1'));
        const u1 = kvOf(await store.update(`${p}a`, 'a2', c1.modRevision));
        const d1 = await store.delete(`${p}a`);
        const c2 = kvOf(await store.create(`${p}b`, 'b1'));
        await store.create(`/elsewhere${p}x`, 'not mine');
        const rec = new Recorder();
        watch(p, rec, c1.modRevision);
        await until('4 replayed events', () => rec.events.length >= 4);
        const u2 = kvOf(await store.update(`${p}b`, 'b2', c2.modRevision));
        const c3 = kvOf(await store.create(`${p}c`, 'c1'));
        await until('6 events', () => rec.events.length >= 6);
        expect(rec.events.map(brief)).to.deep.equal([
          { type: 'put', key: `${p}a`, value: 'a1', rev: c1.modRevision },
          { type: 'put', key: `${p}a`, value: 'a2', rev: u1.modRevision, prev: 'a1' },
          { type: 'delete', key: `${p}a`, value: 'a2', rev: d1.revision, prev: 'a2' },
          { type: 'put', key: `${p}b`, value: 'b1', rev: c2.modRevision },
          { type: 'put', key: `${p}b`, value: 'b2', rev: u2.modRevision, prev: 'b1' },
          { type: 'put', key: `${p}c`, value: 'c1', rev: c3.modRevision },
        ]);
        // Full key-values, not just values: the delete carries the last value with the delete's revision.
        expect(rec.events[2]).to.deep.equal({ type: 'delete', kv: { ...u1, modRevision: d1.revision }, prev: u1 });
        expect(rec.events[4]).to.deep.equal({ type: 'put', kv: u2, prev: c2 });
        // One batch per revision, in order.
        expect(rec.batches.map((b) => b.length)).to.deep.equal([1, 1, 1, 1, 1, 1]);
        expect(rec.errors).to.deep.equal([]);
        await sleep(100);
        expect(rec.events).to.have.length(6);
      });

      it('without fromRevision only sees changes made after it started', async function () {
        const old = kvOf(await store.create(`${p}old`, 'old'));
        const rec = new Recorder();
        watch(p, rec);
        // A backend may establish the watch asynchronously: write probes until one is seen, then check that
        // what was seen is exactly a contiguous, ordered tail of what was written, and nothing older.
        const written: KeyValue[] = [];
        await until('a probe event', async () => {
          if (rec.events.length > 0) return true;
          written.push(kvOf(await store.create(`${p}probe-${written.length}`, 'probe')));
          return false;
        }, 15_000);
        written.push(kvOf(await store.update(`${p}old`, 'new', old.modRevision)));
        await until('the update', () => rec.events.some((e) => e.kv.value === 'new'));
        const seen = rec.events.map(brief);
        expect(seen.length).to.be.greaterThan(1);
        expect(seen).to.deep.equal(written.slice(-seen.length).map((kv) => brief({ type: 'put', kv })).map((e, i, all) =>
          i === all.length - 1 ? { ...e, prev: 'old' } : e,
        ));
        expect(rec.errors).to.deep.equal([]);
      });

      it('delivers all events of a revision together (lease revoke deletes every key at once)', async function () {
        const lease = await store.grantLease(60);
        try {
          await store.create(`${p}x`, 'x', { lease });
          const y = kvOf(await store.create(`${p}y`, 'y', { lease }));
          const rec = new Recorder();
          watch(p, rec, y.modRevision + 1);
          await store.revokeLease(lease);
          await until('the revoke', () => rec.events.length >= 2);
          expect(rec.batches).to.have.length(1);
          expect(rec.batches[0]!.map((e) => [e.type, e.kv.key.slice(p.length), e.kv.modRevision])).to.deep.equal([
            ['delete', 'x', y.modRevision + 1],
            ['delete', 'y', y.modRevision + 1],
          ]);
        } finally {
          await store.revokeLease(lease);
        }
      });

      it('reports CompactedError when fromRevision was compacted away', async function () {
        const r1 = kvOf(await store.create(`${p}a`, 'v1')).modRevision;
        const r2 = kvOf(await store.update(`${p}a`, 'v2', r1)).modRevision;
        const r3 = kvOf(await store.update(`${p}a`, 'v3', r2)).modRevision;
        await store.compact(r3);
        const rec = new Recorder();
        watch(p, rec, r2);
        await until('onError', () => rec.errors.length > 0);
        await sleep(100);
        expect(rec.errors).to.have.length(1);
        expect(rec.errors[0]).to.be.instanceOf(CompactedError);
        const err = rec.errors[0] as CompactedError;
        expect([err.requested, err.compactRevision]).to.deep.equal([r2, r3]);
        expect(rec.events).to.deep.equal([]);
        // From the compaction revision itself the watch works and replays it (its prev was compacted away).
        const ok = new Recorder();
        watch(p, ok, r3);
        await until('replay from the compacted revision', () => ok.events.length >= 1);
        expect(ok.events.map(brief)).to.deep.equal([{ type: 'put', key: `${p}a`, value: 'v3', rev: r3 }]);
        expect(ok.errors).to.deep.equal([]);
      });

      it('stops delivering after cancel()', async function () {
        const rec = new Recorder();
        const w = watch(p, rec, (await store.currentRevision()) + 1);
        const first = kvOf(await store.create(`${p}a`, '1'));
        await until('the first event', () => rec.events.length === 1);
        w.cancel();
        w.cancel(); // idempotent
        // A second watcher is the barrier: once it has seen the last write, the first would have too.
        const barrier = new Recorder();
        watch(p, barrier, first.modRevision + 1);
        await store.create(`${p}b`, '2');
        const last = kvOf(await store.create(`${p}c`, '3'));
        await until('the barrier', () => barrier.events.some((e) => e.kv.modRevision === last.modRevision));
        expect(rec.events.map(brief)).to.deep.equal([{ type: 'put', key: `${p}a`, value: '1', rev: first.modRevision }]);
        expect(rec.errors).to.deep.equal([]);
        expect(barrier.events.map((e) => e.kv.key)).to.deep.equal([`${p}b`, `${p}c`]);
      });

      it('only sees its prefix', async function () {
        const rec = new Recorder();
        const from = (await store.currentRevision()) + 1;
        watch(`${p}a/`, rec, from);
        await store.create(`${p}ab/1`, 'no');
        await store.create(`${p}a`, 'no');
        const yes = kvOf(await store.create(`${p}a/1`, 'yes'));
        await store.create(`${p}b/1`, 'no');
        const barrier = new Recorder();
        watch(p, barrier, from);
        await until('the barrier', () => barrier.events.length === 4);
        expect(rec.events.map(brief)).to.deep.equal([{ type: 'put', key: `${p}a/1`, value: 'yes', rev: yes.modRevision }]);
      });
    });

    describe('leases', function () {
      it('attaches keys to a lease and deletes them when it expires (a watcher sees the delete)', async function () {
        this.timeout(30_000);
        const lease = await store.grantLease(2);
        expect(lease).to.be.a('number');
        expect(Number.isSafeInteger(lease) && lease > 0).to.equal(true);
        try {
          const kv = kvOf(await store.create(`${p}ephemeral`, 'bye', { lease }));
          expect(kv.lease).to.equal(lease);
          expect(await store.get(`${p}ephemeral`)).to.deep.equal(kv);
          const stays = kvOf(await store.create(`${p}stays`, 'here'));
          const rec = new Recorder();
          watch(p, rec, stays.modRevision + 1);
          await until('the leased key to expire', async () => (await store.get(`${p}ephemeral`)) === undefined, 15_000);
          await until('the delete event', () => rec.events.length >= 1);
          expect(rec.events).to.have.length(1);
          const ev = rec.events[0]!;
          expect(ev.type).to.equal('delete');
          expect(ev.kv).to.deep.equal({ ...kv, modRevision: ev.kv.modRevision });
          expect(ev.kv.modRevision).to.be.greaterThan(stays.modRevision);
          expect(ev.prev).to.deep.equal(kv);
          expect(await store.get(`${p}stays`)).to.deep.equal(stays);
        } finally {
          await store.revokeLease(lease);
        }
      });

      it('revokeLease deletes its keys at once and is idempotent', async function () {
        const lease = await store.grantLease(60);
        const other = await store.grantLease(60);
        try {
          await store.create(`${p}a`, 'a', { lease });
          await store.create(`${p}b`, 'b', { lease });
          const c = kvOf(await store.create(`${p}c`, 'c', { lease: other }));
          await store.revokeLease(lease);
          expect(await store.get(`${p}a`)).to.equal(undefined);
          expect(await store.get(`${p}b`)).to.equal(undefined);
          expect(await store.get(`${p}c`)).to.deep.equal(c);
          await store.revokeLease(lease);
        } finally {
          await store.revokeLease(other);
        }
        expect(await store.get(`${p}c`)).to.equal(undefined);
      });

      it('an update keeps only the lease it is given', async function () {
        const lease = await store.grantLease(60);
        try {
          const v1 = kvOf(await store.create(`${p}a`, 'leased', { lease }));
          const v2 = kvOf(await store.update(`${p}a`, 'unleased', v1.modRevision));
          expect(v2.lease).to.equal(0);
          expect((await store.get(`${p}a`))?.lease).to.equal(0);
          await store.revokeLease(lease);
          expect(await store.get(`${p}a`)).to.deep.equal(v2);
          const v3 = kvOf(await store.update(`${p}a`, 'leased again', v2.modRevision, { lease: await store.grantLease(60) }));
          expect(v3.lease).to.be.greaterThan(0);
          await store.revokeLease(v3.lease);
          expect(await store.get(`${p}a`)).to.equal(undefined);
        } finally {
          await store.revokeLease(lease);
        }
      });

      it('refuses a write with an unknown lease', async function () {
        const lease = await store.grantLease(60);
        await store.revokeLease(lease);
        const base = await store.currentRevision();
        await rejection(store.create(`${p}a`, 'x', { lease }));
        expect(await store.get(`${p}a`)).to.equal(undefined);
        expect(await store.currentRevision()).to.equal(base);
      });
    });
  });
}
