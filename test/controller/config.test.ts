import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '@hyprbox/controller/config';
import { repoPath } from '../lib/paths.js';

describe('controller configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hyprbox-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has safe defaults: loopback, SQLite, TLS on', () => {
    const c = loadConfig([], {}, dir);
    expect(c.listen).to.deep.equal({ host: '127.0.0.1', port: 6443 });
    expect(c.store).to.equal('sqlite');
    expect(c.tls).to.equal('auto');
    expect(c.dataDir).to.equal(join(dir, '.hyprbox'));
    // The audit log cannot fill the disk by default: 100 MiB files, 10 rotated ones kept.
    expect([c.auditLogMaxSizeMiB, c.auditLogMaxBackups]).to.deep.equal([100, 10]);
    expect(loadConfig(['--audit-log-max-size', '0', '--audit-log-max-backups', '0'], {}, dir)).to.include({ auditLogMaxSizeMiB: 0, auditLogMaxBackups: 0 });
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('takes flags over environment over file', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'listen: 127.0.0.1:1000\nlogLevel: debug\nstore: sqlite\n');
    const env = { HYPRBOX_CONFIG: file, HYPRBOX_LISTEN: '127.0.0.1:2000', HYPRBOX_LOG_LEVEL: 'warn' };
    const c = loadConfig(['--listen', '127.0.0.1:3000'], env, dir);
    expect(c.listen.port).to.equal(3000);
    expect(c.logLevel).to.equal('warn');
    expect(loadConfig([], { HYPRBOX_CONFIG: file }, dir).logLevel).to.equal('debug');
  });

  it('names the setting in every error', () => {
    const bad: Array<[string[], Record<string, string>, RegExp]> = [
      [['--store', 'mysql'], {}, /^store: must be sqlite or etcd/],
      [['--store', 'etcd'], {}, /^etcd-endpoints: required when store is etcd/],
      [['--etcd-endpoints', 'localhost:2379'], {}, /^etcd-endpoints: "localhost:2379" is not a URL/],
      [['--listen', 'nowhere'], {}, /^listen: expected host:port/],
      [['--listen', '0.0.0.0:6443', '--tls', 'off'], {}, /^tls: off is only allowed on a loopback address/],
      [['--tls-cert', 'x.pem'], {}, /^tls-cert and tls-key: give both or neither/],
      [['--bogus'], {}, /Unknown option '--bogus'/],
      [[], { HYPRBOX_RETAIN_REVISIONS: '5' }, /^retain-revisions: must be an integer >= 100/],
      [['--audit-log-max-size=-1'], {}, /^audit-log-max-size: must be an integer >= 0/],
      [[], { HYPRBOX_AUDIT_LOG_MAX_BACKUPS: 'ten' }, /^audit-log-max-backups: must be an integer >= 0/],
    ];
    for (const [argv, env, re] of bad) {
      expect(() => loadConfig(argv, env, dir), argv.join(' ')).to.throw(ConfigError, re);
    }
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'lisen: 127.0.0.1:1\n');
    expect(() => loadConfig(['--config', file], {}, dir)).to.throw(ConfigError, /typo.yaml: unknown setting "lisen"/);
  });

  it('the hyprbox-controller binary prints usage and exits 2 on a bad flag', () => {
    const bin = repoPath('controller/dist/src/main.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.contain('--etcd-endpoints');
    const bad = spawnSync(process.execPath, [bin, '--store', 'nope'], { encoding: 'utf8' });
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('hyprbox-controller: store: must be sqlite or etcd');
  });

  it('the binary writes an owner-only admin kubeconfig on first start and stops cleanly on SIGTERM', async function () {
    this.timeout(30_000);
    const data = join(dir, 'data');
    const child = spawn(process.execPath, [repoPath('controller/dist/src/main.js'), '--data-dir', data, '--listen', '127.0.0.1:0', '--log-level', 'error']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const kubeconfig = join(data, 'admin.kubeconfig');
    for (let i = 0; i < 600 && !stderr.includes('Admin credentials'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).to.contain('Admin credentials');
    expect(existsSync(kubeconfig), stderr).to.equal(true);
    expect(statSync(kubeconfig).mode & 0o777).to.equal(0o600);
    expect(statSync(join(data, 'tls', 'ca.key')).mode & 0o777).to.equal(0o600);
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });
});
