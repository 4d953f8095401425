// Without a terminal the TUI says so. A lost connection: the TUI shows a banner while the controller is down, and reconnects by itself when it
// is back (the watches resume), with no key pressed.
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import type { RunningController } from '@hyprbox/controller/server';
import { hyprbox } from '../lib/cli.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { driveTui } from './tui-helpers.js';
import type { Driven } from './tui-helpers.js';

const API = 'hyprbox.io/v1alpha1';
const NS = `/apis/${API}/namespaces/default`;

describe('hyprbox tui: connection lost and back', function () {
  this.timeout(90_000);
  let c: TestController;
  let again: RunningController | undefined;
  let t: Driven | undefined;

  before(async () => {
    c = await startTestController('sqlite');
  });
  after(async () => {
    t?.stop();
    await again?.stop();
    await c?.stop();
  });

  it('refuses to start without a terminal, saying why (exit 2)', async () => {
    const r = await hyprbox(c.kubeconfig, ['tui']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain('hyprbox tui needs a terminal');
  });

  it('shows a banner while the controller is down and goes live again when it returns', async () => {
    expect((await c.json('POST', `${NS}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'before-1' }, spec: {} })).status).to.equal(201);
    t = await driveTui(c.kubeconfig);
    await t.see('before-1');
    const port = new URL(c.url).port;
    await c.controller.stop();
    let f = await t.see('connection lost:', 30_000);
    expect(f).to.contain('✖ reconnecting');
    // What was on screen stays while the watches retry.
    expect(f).to.contain('before-1');
    again = await startController(loadConfig(['--data-dir', c.dataDir, '--listen', `127.0.0.1:${port}`], {}), { log: pino({ level: 'silent' }) });
    await t.see('● live', 30_000);
    // Same data and port: the test controller's helper reaches the new one.
    expect((await c.json('POST', `${NS}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: 'after-1' }, spec: {} })).status).to.equal(201);
    f = await t.see('after-1', 30_000);
    expect(f).not.to.contain('connection lost');
    expect(f).to.contain('Nodes (2)');
  });
});
