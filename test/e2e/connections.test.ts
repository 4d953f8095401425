// What one client can hold before it is authenticated, against a running controller: connections per source,
// TLS handshakes that never finish, bodies nobody will read, bytes of bodies in flight; and watches whose
// client left while they were set up.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import { parse } from 'yaml';
import { startTestController } from '../lib/controller.js';
import type { Backend, TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';

/** A raw TCP connection to the controller's port. */
function tcp(c: TestController): Promise<Socket> {
  const { hostname, port } = new URL(c.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves when the server closes the socket, with what it sent. */
function closedByServer(s: Socket): Promise<string> {
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  return new Promise((resolve) => s.once('close', () => resolve(got)));
}

describe('connection limits', function () {
  this.timeout(60_000);

  describe('plain HTTP, small caps', () => {
    let c: TestController;
    before(async () => {
      c = await startTestController('sqlite', ['--tls', 'off', '--max-connections-per-source', '8', '--max-body-inflight-per-source', '3']);
    });
    after(async () => c?.stop());

    it('closes connections past --max-connections-per-source at once, and serves again once some are gone', async () => {
      // fetch keeps its own pooled connections: close them so the count is this test's.
      const held: Socket[] = [];
      for (let i = 0; i < 8; i++) held.push(await tcp(c));
      const extra = await tcp(c);
      expect(await closedByServer(extra)).to.equal('');
      held.splice(0, 4).forEach((s) => s.destroy());
      await until('a request gets through again', async () => (await c.api(NODES).catch(() => undefined))?.status === 200);
      held.forEach((s) => s.destroy());
    });

    it('answers a POST to a public path without waiting for its body, and closes the connection', async () => {
      const s = await tcp(c);
      const answer = closedByServer(s);
      s.write(`POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n`);
      const text = await answer;
      expect(text).to.match(/^HTTP\/1.1 404 /);
      expect(text.toLowerCase()).to.contain('connection: close');
    });

    it('refuses an unauthenticated request before its body and closes the connection', async () => {
      const s = await tcp(c);
      const answer = closedByServer(s);
      s.write(`POST ${NODES} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`);
      const text = await answer;
      expect(text).to.match(/^HTTP\/1.1 401 /);
      expect(text.toLowerCase()).to.contain('connection: close');
    });

    it('refuses bodies past the budget of bytes being read (429, unread), and takes them once there is room', async () => {
      // One authenticated client sends the headers of a 3 MiB body, then nothing: the source's 3 MiB are held.
      const slow = await tcp(c);
      const slowDone = closedByServer(slow);
      slow.write(`PUT ${NODES}/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\nContent-Type: application/json\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n{`);
      await until('the slow body is being read', async () => {
        const r = await c.api(NODES, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'budget-1' }, spec: {} } });
        if (r.status === 201) await c.api(`${NODES}/budget-1`, { method: 'DELETE' });
        return r.status === 429;
      });
      const refused = await c.api(NODES, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'budget-2' }, spec: {} } });
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after')).to.equal('1');
      expect(((await refused.json()) as { reason: string }).reason).to.equal('TooManyRequests');
      expect((await c.api(`${NODES}/budget-2`)).status).to.equal(404);
      slow.destroy();
      await slowDone;
      await until('the budget is free again', async () => (await c.api(NODES, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'budget-2' }, spec: {} } })).status === 201);
    });
  });

  describe('TLS', () => {
    let c: TestController;
    before(async () => {
      c = await startTestController('sqlite');
    });
    after(async () => c?.stop());

    it('closes a connection whose TLS handshake never starts, within the handshake timeout', async () => {
      const s = await tcp(c);
      const closed = closedByServer(s);
      let done = false;
      void closed.then(() => (done = true));
      // Node's default was 120 s, and the socket then stayed open for good: the bound here is 10 s.
      await until('the server closed the idle socket', () => done, 20_000);
      expect(await closed).to.equal('');
    });

    it("keeps an agent's idle connection between heartbeats (the agent's keep-alive client reuses it after Node's 5 s)", async () => {
      const kc = parse(readFileSync(c.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
      const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64');
      const agent = new HttpsAgent({ keepAlive: true, ca });
      const get = (): Promise<{ reused: boolean; keepAlive: string }> =>
        new Promise((resolve, reject) => {
          const req = httpsGet(`${c.url}/healthz`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ reused: req.reusedSocket, keepAlive: String(res.headers['keep-alive']) }));
          });
          req.on('error', reject);
        });
      try {
        expect(await get()).to.deep.equal({ reused: false, keepAlive: 'timeout=90' });
        await new Promise((r) => setTimeout(r, 6_000));
        expect((await get()).reused).to.equal(true);
      } finally {
        agent.destroy();
      }
    });
  });

  for (const backend of ['sqlite', 'etcd'] as Backend[]) {
    it(`a watch whose client left while it was set up is not served (${backend})`, async () => {
      const c = await startTestController(backend, ['--tls', 'off']);
      try {
        const before = c.controller.watchers();
        for (let round = 0; round < 4; round++) {
          await Promise.all(
            Array.from({ length: 50 }, async (_, i) => {
              const s = await tcp(c);
              const rv = i % 2 ? '' : '&resourceVersion=0';
              s.write(`GET ${NODES}?watch=1${rv} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\n\r\n`);
              s.destroy(); // gone before the watch is set up
            }),
          );
        }
        await until('every watch of the departed clients ended', () => c.controller.watchers() === before, 15_000);
      } finally {
        await c.stop();
      }
    });
  }
});
