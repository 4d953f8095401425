// Watch fan-out: many watchers of one resource each get every event, in revision order, when the events come
// in bursts (they are coalesced per event-loop turn); a watcher that stops reading is cut off, not buffered
// without bound. Over raw HTTP, on the SQLite store (the watch cache sits above the store, whichever it is).
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Response } from 'express';
import { Outbox } from '@hyprbox/controller/api/watch-outbox';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';
const node = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name, annotations },
  spec: {},
});

/** Opens a watch over its own connection; `lines` fills as events arrive. */
function openWatch(c: TestController, query: string): Promise<{ res: IncomingMessage; lines: string[]; ended: Promise<'end' | 'aborted'> }> {
  const url = new URL(`${c.url}${NODES}?watch=1&${query}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `Bearer ${c.token}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch: HTTP ${res.statusCode}`));
      const lines: string[] = [];
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        lines.push(...parts);
      });
      const ended = new Promise<'end' | 'aborted'>((done) => {
        res.on('end', () => done(res.complete ? 'end' : 'aborted'));
        res.on('error', () => done('aborted'));
        res.on('aborted', () => done('aborted'));
      });
      resolve({ res, lines, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('watch fan-out', function () {
  this.timeout(120_000);
  let c: TestController;
  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off', '--max-watch-buffer', '65536']);
  });
  after(async () => c?.stop());

  it('20 watchers each get every one of 60 concurrent creates once, in revision order', async () => {
    const list = await c.json<{ metadata: { resourceVersion: string } }>('GET', NODES);
    const watches = await Promise.all(Array.from({ length: 20 }, () => openWatch(c, `resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=30`)));
    const created = await Promise.all(Array.from({ length: 60 }, (_, i) => c.json<{ metadata: { resourceVersion: string } }>('POST', NODES, node(`burst-${i}`))));
    expect(created.map((r) => r.status)).to.deep.equal(created.map(() => 201));
    const revisions = created.map((r) => Number(r.body.metadata.resourceVersion)).sort((a, b) => a - b);
    await until('every event on every watch', () => watches.every((w) => w.lines.length >= 60));
    for (const w of watches) {
      const events = w.lines.map((l) => JSON.parse(l) as { type: string; object: { metadata: { resourceVersion: string } } });
      expect(events.map((e) => e.type)).to.deep.equal(revisions.map(() => 'ADDED'));
      expect(events.map((e) => Number(e.object.metadata.resourceVersion))).to.deep.equal(revisions);
      w.res.destroy();
    }
  });

  it('cuts off a watcher that stops reading once its buffer passes --max-watch-buffer', async () => {
    const list = await c.json<{ metadata: { resourceVersion: string } }>('GET', NODES);
    const slow = await openWatch(c, `resourceVersion=${list.body.metadata.resourceVersion}`);
    slow.res.pause();
    // 60 objects of 250 KB: far more than the loopback socket buffers (a few MiB) and the 64 KiB allowed on top.
    const big = 'x'.repeat(250_000);
    for (let i = 0; i < 60; i++) {
      expect((await c.json('POST', NODES, node(`big-${i}`, { 'bench.hyprbox.io/pad': big }))).status).to.equal(201);
    }
    slow.res.resume();
    expect(await slow.ended).to.equal('aborted');
    expect(slow.lines.length).to.be.lessThan(60);
    // The others are fine: a new watch sees the next write.
    const now = await c.json<{ metadata: { resourceVersion: string } }>('GET', `${NODES}?limit=1`);
    const fresh = await openWatch(c, `resourceVersion=${now.body.metadata.resourceVersion}&timeoutSeconds=30`);
    expect((await c.json('POST', NODES, node('after-slow'))).status).to.equal(201);
    await until('the next event', () => fresh.lines.length >= 1);
    expect((JSON.parse(fresh.lines[0]!) as { object: { metadata: { name: string } } }).object.metadata.name).to.equal('after-slow');
    fresh.res.destroy();
  });
});

describe('watch Outbox', () => {
  it('writes the lines queued in one event-loop turn as one chunk in one socket write, and nothing after close()', async () => {
    const writes: string[] = [];
    let afterClose: Outbox | undefined;
    const server = createServer((_req, res) => {
      res.writeHead(200);
      const socket = res.socket!;
      const write = socket.write.bind(socket);
      socket.write = ((chunk: Buffer | string, ...rest: never[]) => (writes.push(chunk.toString()), write(chunk, ...rest))) as typeof socket.write;
      const out = new Outbox(res as unknown as Response, 1 << 20, () => undefined);
      out.add(Buffer.from('a\n'));
      out.add(Buffer.from('b\n'));
      out.add(Buffer.from('c\n'));
      setImmediate(() =>
        setImmediate(() => {
          out.add(Buffer.from('d\n'));
          out.close();
          afterClose = out;
          setImmediate(() => res.end());
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).to.equal('a\nb\nc\n');
      // The headers, then the three lines as one chunk, then the last chunk from res.end().
      const bodyWrites = writes.filter((w) => !w.startsWith('HTTP/1.1') && w !== '');
      expect(bodyWrites).to.deep.equal(['6\r\na\nb\nc\n\r\n', '0\r\n\r\n']);
      expect(afterClose).to.not.equal(undefined);
    } finally {
      server.close();
    }
  });
});
