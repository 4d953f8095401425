import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { CompactedError, StoreUnavailableError } from '@hyprbox/controller/store/types';
import type { TxnResult } from '@hyprbox/controller/store/types';
import Database from 'better-sqlite3';
import { storeConformance } from './conformance.js';
import { rejection, until } from '../lib/wait.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hyprbox-sqlite-'));
  dirs.push(dir);
  return join(dir, 'store.db');
};

const kv = (r: TxnResult): number => {
  if (!r.ok) throw new Error('write failed');
  return r.kv.modRevision;
};

storeConformance('sqlite store', async () => {
  const store = createSqliteStore({ file: freshFile(), maintenanceIntervalMs: 100 });
  return { store, close: () => store.close() };
});

describe('sqlite store specifics', () => {
  it('a write the disk refuses is undone everywhere: StoreUnavailableError, no watch event, no revision spent', async () => {
    const file = freshFile();
    const s = createSqliteStore({ file, maintenanceIntervalMs: 60_000 });
    const first = kv(await s.create('/k/a', 'a'));
    const seen: number[] = [];
    const w = s.watch('/k/', { fromRevision: first + 1, onEvents: (evs) => seen.push(...evs.map((e) => e.kv.modRevision)), onError: () => undefined });
    // An immutable WAL file makes every write fail with an I/O error, as a failing or full disk does.
    execFileSync('chattr', ['+i', `${file}-wal`]);
    try {
      for (let i = 0; i < 5; i++) expect(await rejection(s.create(`/k/x${i}`, 'x'))).to.be.instanceOf(StoreUnavailableError);
      expect(await rejection(s.delete('/k/a'))).to.be.instanceOf(StoreUnavailableError);
      expect(await s.currentRevision()).to.equal(first);
      // Reads still work; the failure is remembered for /readyz until a write succeeds.
      expect((await s.get('/k/a'))?.value).to.equal('a');
      expect(s.writeFailure?.()).to.match(/the SQLite store cannot write \(SQLITE_/);
    } finally {
      execFileSync('chattr', ['-i', `${file}-wal`]);
    }
    const next = kv(await s.create('/k/b', 'b'));
    expect(next).to.equal(first + 1);
    expect(s.writeFailure?.()).to.equal(undefined);
    await until('the write after the outage', () => seen.length > 0);
    expect(seen).to.deep.equal([next]);
    expect((await s.range('/k/')).kvs.map((x) => x.key)).to.deep.equal(['/k/a', '/k/b']);
    w.cancel();
    await s.close();
    const again = createSqliteStore({ file });
    expect(await again.currentRevision()).to.equal(next);
    await again.close();
  });

  it('keeps data, revisions and compaction across a reopen', async () => {
    const file = freshFile();
    const a = createSqliteStore({ file });
    const c = await a.create('/k/1', 'one');
    if (!c.ok) throw new Error('create failed');
    await a.update('/k/1', 'two', c.kv.modRevision);
    await a.compact(c.kv.modRevision + 1);
    const rev = await a.currentRevision();
    await a.close();
    const b = createSqliteStore({ file });
    expect(await b.currentRevision()).to.equal(rev);
    expect(await b.compactedRevision()).to.equal(c.kv.modRevision + 1);
    expect((await b.get('/k/1'))?.value).to.equal('two');
    expect((await b.get('/k/1'))?.version).to.equal(2);
    let err: unknown;
    try {
      await b.range('/k/', { revision: c.kv.modRevision });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CompactedError);
    await b.close();
  });

  it('compaction leaves one history row per live key, touching only keys written since the last one', async () => {
    const file = freshFile();
    let store = createSqliteStore({ file, retainRevisions: 0 });
    const revs: number[] = [];
    for (let i = 0; i < 50; i++) revs.push(kv(await store.create(`/h/${i}`, 'v0')));
    for (let round = 1; round <= 3; round++) {
      // Ten keys get five updates each, the others none; one key is deleted per round.
      for (let i = 0; i < 10; i++) for (let n = 0; n < 5; n++) revs[i] = kv(await store.update(`/h/${i}`, `v${round}.${n}`, revs[i]!));
      await store.delete(`/h/${49 - round}`);
      await store.compact(await store.currentRevision());
      await store.close();
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT key, count(*) AS n FROM history GROUP BY key').all() as Array<{ key: string; n: number }>;
      db.close();
      expect(rows.length, `round ${round}`).to.equal(50 - round);
      expect(rows.every((r) => r.n === 1), `round ${round}`).to.equal(true);
      store = createSqliteStore({ file, retainRevisions: 0 });
    }
    expect((await store.get('/h/0'))?.value).to.equal('v3.4');
    await store.close();
  });

  it('refuses an in-memory database', () => {
    expect(() => createSqliteStore({ file: ':memory:' })).to.throw(/file path/);
  });

  it('compacts automatically so history stays bounded under many updates', async () => {
    const file = freshFile();
    const store = createSqliteStore({ file, retainRevisions: 200 });
    const revs = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const r = await store.create(`/b/${i}`, 'x');
      if (r.ok) revs.set(`/b/${i}`, r.kv.modRevision);
    }
    for (let n = 0; n < 5000; n++) {
      const key = `/b/${n % 20}`;
      const r = await store.update(key, 'y'.repeat(200), revs.get(key)!);
      if (!r.ok) throw new Error('update failed');
      revs.set(key, r.kv.modRevision);
    }
    const current = await store.currentRevision();
    const compacted = await store.compactedRevision();
    expect(current - compacted).to.be.at.most(220 + 1000);
    expect(compacted).to.be.greaterThan(0);
    // Every key's latest value survives compaction.
    const all = await store.range('/b/');
    expect(all.count).to.equal(20);
    expect(all.kvs.every((kv) => kv.value === 'y'.repeat(200))).to.equal(true);
    await store.close();
    expect(statSync(file).size).to.be.greaterThan(0);
  });
});
