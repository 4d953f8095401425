// A watch's current state (a watch without a resourceVersion) larger than the per-watcher buffer cap: it goes
// out in chunks as the client reads, live events follow it, and a client that stops reading is dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import type { Obj } from '@hyprbox/controller/api/admission';
import { createRegistry, objectKey } from '@hyprbox/controller/api/resource';
import { expired } from '@hyprbox/controller/api/errors';
import { serveWatch } from '@hyprbox/controller/api/watch';
import { WatchCache } from '@hyprbox/controller/api/watch-cache';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import type { Store } from '@hyprbox/controller/store/types';
import { until } from '../lib/wait.js';

const COUNT = 2000;
/** The state in pages of 100, as the handler reads it; past `failAfter` pages, history is gone (410). */
async function* pagesOf(items: Obj[], failAfter: number): AsyncGenerator<Obj[]> {
  for (let i = 0, n = 0; i < items.length; i += 100, n++) {
    if (n >= failAfter) throw expired('The provided continue parameter is too old to display a consistent list result.');
    yield items.slice(i, i + 100);
  }
}
const node = (i: number, pad: string): Obj => ({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: `n${i}`, namespace: 'default', annotations: { pad } }, spec: {} });

describe('watch: the current state larger than the buffer cap', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'hyprbox-wi-'));
  const nodes = createRegistry().byPlural('hyprbox.io', 'nodes')!;
  let store: Store;
  let cache: WatchCache;
  let server: Server;
  let initial: Obj[];
  let from: number;
  const ended: string[] = [];
  const pages = (failAfter: number) => pagesOf(initial, failAfter);

  before(async () => {
    store = createSqliteStore({ file: join(dir, 'wi.db') });
    cache = new WatchCache(nodes, store, { log: pino({ level: 'silent' }) });
    await cache.start();
    // 2,000 objects of 8 KiB: 16 MiB of state, sixteen times the 1 MiB a watcher may buffer.
    const pad = 'x'.repeat(8 * 1024);
    initial = [];
    for (let i = 0; i < COUNT; i++) {
      const r = await store.create(objectKey(nodes, 'default', `n${i}`), JSON.stringify(node(i, pad)));
      if (!r.ok) throw new Error('create failed');
      const o = node(i, pad);
      o.metadata.resourceVersion = String(r.kv.modRevision);
      initial.push(o);
    }
    from = await store.currentRevision();
    server = createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams;
      const stallMs = Number(q.get('stallMs'));
      if (q.has('live')) {
        // Live events only, a 64 MiB cap asked for; as a Table (encoded for this watcher alone) or plain.
        const table = q.get('live') === 'table' ? ({ includeObject: 'Object', apiVersion: 'meta.k8s.io/v1' } as const) : false;
        serveWatch(req, res, { cache, fromRevision: cache.latest, matches: () => true, table, bookmarks: false, maxBufferedBytes: 64 * 1024 * 1024, onEnd: () => ended.push(req.url!) });
        return;
      }
      serveWatch(req, res, { cache, initial: pages(req.url!.startsWith('/expired') ? 3 : Infinity), fromRevision: from, matches: () => true, table: false, bookmarks: false, maxBufferedBytes: 1024 * 1024, stallMs, onEnd: () => ended.push(req.url!) });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    cache.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (path: string): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => get(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, resolve).on('error', reject));

  it('reaches a client that reads, whole and in order, and the changes after it follow', async () => {
    const res = await open('/reader?stallMs=30000');
    const events: Array<{ type: string; name: string }> = [];
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const e = JSON.parse(l) as { type: string; object: Obj };
        events.push({ type: e.type, name: e.object.metadata.name! });
      }
    });
    await until('the current state arrived', () => events.length >= COUNT);
    const r = await store.update(objectKey(nodes, 'default', 'n7'), JSON.stringify(node(7, 'changed')), Number(initial[7]!.metadata.resourceVersion));
    expect(r.ok).to.equal(true);
    await until('the change arrived', () => events.length === COUNT + 1);
    expect(events.slice(0, COUNT).every((e, i) => e.type === 'ADDED' && e.name === `n${i}`)).to.equal(true);
    expect(events[COUNT]).to.deep.equal({ type: 'MODIFIED', name: 'n7' });
    res.destroy();
  });

  it('ends with an ERROR event (410) when a page of the state can no longer be read, and follows nothing', async () => {
    const res = await open('/expired?stallMs=30000');
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    await new Promise((resolve) => res.on('end', resolve));
    const events = body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { code?: number; reason?: string } });
    expect(events).to.have.length(301);
    expect(events.slice(0, 300).every((e) => e.type === 'ADDED')).to.equal(true);
    expect(events[300]).to.deep.include({ type: 'ERROR' });
    expect(events[300]!.object).to.include({ code: 410, reason: 'Expired' });
  });

  it('drops a client that stops reading while the state goes out, instead of holding it', async () => {
    const res = await open('/stalled?stallMs=300');
    res.pause(); // reads nothing: the kernel's buffers fill, then the server's
    // (A paused client does not notice the reset, so the server's side tells.)
    await until('the server ended the watch', () => ended.includes('/stalled?stallMs=300'));
    res.destroy();
  });

  it('drops a Table watcher that stops reading once 2 MiB are buffered for it, whatever the cap asked for', async () => {
    const table = await open('/t?live=table');
    const plain = await open('/p?live=plain');
    table.pause();
    plain.pause();
    await until('both subscribed', () => cache.watchers >= 2);
    // 400 changes of 64 KiB objects: 25 MiB for each watcher, past the kernel's buffers.
    const pad = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 400 && !ended.includes('/t?live=table'); i++) {
      const key = objectKey(nodes, 'default', `n${i}`);
      const cur = await store.get(key);
      const r = await store.update(key, JSON.stringify(node(i, pad)), cur!.modRevision);
      expect(r.ok).to.equal(true);
    }
    await until('the Table watcher is dropped', () => ended.includes('/t?live=table'));
    // The plain watcher shares its encoded lines with every watcher and keeps its 64 MiB.
    expect(ended).to.not.include('/p?live=plain');
    table.destroy();
    plain.destroy();
  });
});
