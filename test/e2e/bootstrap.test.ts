// First start and recovery of the admin credential.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { expect } from 'chai';
import { pino } from 'pino';
import { parse } from 'yaml';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import { send, startTestController } from '../lib/controller.js';

const tokenIn = (file: string): string => (parse(readFileSync(file, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0]!.user.token;

describe('admin bootstrap', function () {
  this.timeout(60_000);

  it('reuses the credential on restart, and --reset-admin-token replaces it', async () => {
    const first = await startTestController('sqlite', ['--tls', 'off']);
    const old = first.token;
    await first.controller.stop();
    const log = pino({ level: 'silent' });
    const args = ['--data-dir', first.dataDir, '--listen', '127.0.0.1:0', '--tls', 'off'];
    const again = await startController(loadConfig(args, {}), { log });
    expect(again.kubeconfigWritten).to.equal(undefined);
    const ok = await send(`${again.url}/apis/hyprbox.io/v1alpha1/presets`, 'GET', new Headers({ Authorization: `Bearer ${old}` }), undefined);
    expect(ok.status).to.equal(200);
    await again.stop();

    const reset = await startController(loadConfig([...args, '--reset-admin-token'], {}), { log });
    try {
      expect(reset.kubeconfigWritten).to.be.a('string');
      expect(existsSync(`${reset.kubeconfigWritten!}.old`)).to.equal(true);
      expect(statSync(reset.kubeconfigWritten!).mode & 0o777).to.equal(0o600);
      const fresh = tokenIn(reset.kubeconfigWritten!);
      expect(fresh).to.not.equal(old);
      const get = (t: string) => send(`${reset.url}/apis/hyprbox.io/v1alpha1/presets`, 'GET', new Headers({ Authorization: `Bearer ${t}` }), undefined);
      expect((await get(old)).status).to.equal(401);
      expect((await get(fresh)).status).to.equal(200);
    } finally {
      await reset.stop();
      await first.stop();
    }
  });
});
