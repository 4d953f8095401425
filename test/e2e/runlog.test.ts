// Run logs: appended in chunks, read, followed until the run ends, trimmed to a tail, removed with the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { RunLogs } from '@hyprbox/controller/api/runlog';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';

const RUNS = '/apis/hyprbox.io/v1alpha1/namespaces/default/runs';

describe('run logs', function () {
  this.timeout(60_000);

  it('keeps only the newest bytes, and counts every byte appended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hyprbox-runlog-'));
    const store = createSqliteStore({ file: join(dir, 's.db') });
    try {
      const logs = new RunLogs(store, 100);
      for (let i = 0; i < 10; i++) await logs.append('ns', 'r', `${String(i).padStart(2, '0')}${'x'.repeat(38)}\n`);
      const all = await logs.read('ns', 'r');
      expect(all.bytes).to.equal(410);
      expect(all.text.length).to.be.at.most(140);
      expect(all.text.endsWith(`09${'x'.repeat(38)}\n`)).to.equal(true);
      expect(all.fromByte).to.equal(410 - all.text.length);
      const tail = await logs.read('ns', 'r', 400);
      expect(tail.text).to.equal('xxxxxxxxx\n');
      await logs.remove('ns', 'r');
      expect((await store.range('/hyprbox/runlogs/')).count).to.equal(0);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('over HTTP', () => {
    let c: TestController;
    before(async () => {
      c = await startTestController('sqlite', ['--tls', 'off']);
      await c.api('/apis/hyprbox.io/v1alpha1/presets', { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Preset', metadata: { name: 'p' }, spec: { apply: { script: 'true' } } } });
      const r = await c.api(RUNS, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Run', metadata: { name: 'r1' }, spec: { nodeName: 'n1', preset: 'p' } } });
      expect(r.status).to.equal(201);
    });
    after(async () => c?.stop());

    const append = (text: string) => c.api(`${RUNS}/r1/log`, { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain' } });

    it('appends and reads back, from any byte', async () => {
      expect((await append('hello\n')).status).to.equal(201);
      expect((await append('world\n')).status).to.equal(201);
      const all = await c.api(`${RUNS}/r1/log`);
      expect(await all.text()).to.equal('hello\nworld\n');
      expect(all.headers.get('x-log-bytes')).to.equal('12');
      expect(await (await c.api(`${RUNS}/r1/log?fromByte=6`)).text()).to.equal('world\n');
      expect((await c.api(`${RUNS}/nope/log`)).status).to.equal(404);
    });

    it('follows new output until the run finishes', async () => {
      const res = await c.api(`${RUNS}/r1/log?follow=true&fromByte=12`);
      const reader = res.body!.getReader();
      let text = '';
      const reading = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += Buffer.from(value).toString();
        }
      })();
      await append('step 1\n');
      await append('step 2\n');
      const run = (await (await c.api(`${RUNS}/r1`)).json()) as Record<string, unknown>;
      await c.api(`${RUNS}/r1/status`, { method: 'PUT', json: { ...run, status: { phase: 'Succeeded' } } });
      await reading;
      expect(text).to.equal('step 1\nstep 2\n');
    });

    it('goes away with its run', async () => {
      await c.api(`${RUNS}/r1`, { method: 'DELETE' });
      expect((await c.controller.store.range('/hyprbox/runlogs/default/r1')).count).to.equal(0);
    });
  });
});
