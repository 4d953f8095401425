// First start and recovery of the admin credential.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { expect } from 'chai';
import { pino } from 'pino';
import { parse } from 'yaml';
import { loadConfig } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';
import { send, startTestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';

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

  it('one controller per data directory: a second is refused, in this process or another; the lock dies with its holder', async () => {
    const first = await startTestController('sqlite', ['--tls', 'off']);
    const log = pino({ level: 'silent' });
    const args = ['--data-dir', first.dataDir, '--listen', '127.0.0.1:0', '--tls', 'off'];
    const main = repoPath('controller/dist/src/main.js');
    /** Runs the controller binary on the data directory until it logs that it listens, or exits. */
    const binary = (until: RegExp) => {
      const child = spawn(process.execPath, [main, ...args, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const done = new Promise<{ code: number | null; out: string }>((resolve) => {
        const seen = (d: Buffer): void => {
          out += d.toString();
          if (until.test(out)) resolve({ code: null, out });
        };
        child.stdout.on('data', seen);
        child.stderr.on('data', seen);
        child.on('exit', (code) => resolve({ code, out }));
      });
      return { child, done };
    };
    try {
      let refused: unknown;
      await startController(loadConfig(args, {}), { log }).then((c) => c.stop(), (err: unknown) => (refused = err));
      expect((refused as Error).name).to.equal('DataDirBusyError');
      const other = await binary(/controller listening/).done;
      expect(other.code).to.equal(1);
      expect(other.out).to.contain(`another hyprbox controller is already running on the data directory ${first.dataDir}`);
      expect(other.out).to.not.contain('    at ');
    } finally {
      await first.stop();
    }
    // Released on stop: another process takes it; killed outright, it leaves no stale lock behind.
    const holder = binary(/controller listening/);
    expect((await holder.done).code).to.equal(null);
    let refusedWhileHeld: unknown;
    await startController(loadConfig(args, {}), { log }).then((c) => c.stop(), (err: unknown) => (refusedWhileHeld = err));
    expect((refusedWhileHeld as Error).name).to.equal('DataDirBusyError');
    const exited = new Promise((resolve) => holder.child.once('exit', resolve));
    holder.child.kill('SIGKILL');
    await exited;
    const after = await startController(loadConfig(args, {}), { log });
    await after.stop();
  });

  it('a data directory whose store was lost is refused, not silently started as a new cluster', async () => {
    const first = await startTestController('sqlite', ['--tls', 'off']);
    await first.controller.stop();
    const db = `${first.dataDir}/hyprbox.db`;
    const args = ['--data-dir', first.dataDir, '--listen', '127.0.0.1:0', '--tls', 'off'];
    const log = pino({ level: 'silent' });
    try {
      for (const lose of [() => truncateSync(db, 0), () => rmSync(db)]) {
        lose();
        for (const f of [`${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
        let refused: unknown;
        await startController(loadConfig(args, {}), { log }).then((c) => c.stop(), (err: unknown) => (refused = err));
        expect((refused as Error).message).to.match(/was set up before \(admin\.kubeconfig is there\) but its store .*hyprbox\.db is (empty|missing)/);
      }
      // Nothing was written meanwhile: the credential is the first start's.
      expect(tokenIn(`${first.dataDir}/admin.kubeconfig`)).to.equal(first.token);
    } finally {
      await first.stop();
    }
  });
});
