// The watch cache's ring against a real SQLite store: bounded by count and by bytes, 410 past what it holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { createRegistry, objectKey } from '@hyprbox/controller/api/resource';
import { WatchCache } from '@hyprbox/controller/api/watch-cache';
import type { CachedEvent } from '@hyprbox/controller/api/watch-cache';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { until } from '../lib/wait.js';

describe('watch cache ring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hyprbox-wc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds at most maxBytes of events (large objects cannot pile up), and answers 410 for what it let go', async () => {
    const store = createSqliteStore({ file: join(dir, 'wc.db') });
    const nodes = createRegistry().byPlural('hyprbox.io', 'nodes')!;
    const cache = new WatchCache(nodes, store, { maxBytes: 64 * 1024, log: pino({ level: 'silent' }) });
    await cache.start();
    const value = (i: number) => JSON.stringify({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: `n${i}`, namespace: 'default', annotations: { pad: 'x'.repeat(8 * 1024) } }, spec: {} });
    const revs: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await store.create(objectKey(nodes, 'default', `n${i}`), value(i));
      if (!r.ok) throw new Error('create failed');
      revs.push(r.kv.modRevision);
    }
    await until('the cache saw every write', () => cache.latest === revs[39]);
    // 40 events of about 8 KiB: only the newest fit in 64 KiB.
    expect(cache.heldBytes).to.be.at.most(64 * 1024);
    expect(cache.heldBytes).to.be.greaterThan(48 * 1024);
    const resume = (from: number): CachedEvent[] => {
      const got: CachedEvent[] = [];
      const unsubscribe = cache.subscribe({ fromRevision: from, matches: () => true, bookmarks: false, send: (_t, ev) => got.push(ev), bookmark: () => undefined, close: () => undefined });
      unsubscribe();
      return got;
    };
    expect(() => resume(revs[0]!)).to.throw(/too old resource version/);
    expect(resume(revs[36]!).map((e) => e.revision)).to.deep.equal(revs.slice(37));
    cache.stop();
    await store.close();
  });
});
