// Catalog presets that manage daemons and files, run DIRECTLY on one sysvinit-style Debian test host (its own
// network namespace; the preset packages installed, none configured): each step's script on `bash -s` with
// the params as environment variables, as the agent runs them (test/presets/run-preset.ts). The real path
// (controller → profile → run → agent) is proven for server-light in presets-metric.test.ts. Cases share one
// host in order: server-light first, then the single presets it is made of find it compliant.
import { expect } from 'chai';
import { check, runPreset, runStep } from '../presets/run-preset.js';
import { PRESET_PACKAGES, useTestHost } from '../lib/testhost.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB bob@desk';

describe('catalog presets on a sysvinit-style Debian test host', function () {
  this.timeout(300_000);
  const t = useTestHost({ network: true, services: true, packages: [...PRESET_PACKAGES] });
  // SSH host keys, as every real host has: ufw-firewall and server-light read sshd's ports with sshd -T (which
  // needs them) and refuse a host where it fails.
  before(async () => expect((await t.host.exec(['ssh-keygen', '-A'])).code).to.equal(0));

  /** Runs a preset twice: the first converges, the second changes nothing and succeeds; check says compliant. */
  const twice = async (name: string, params: Record<string, unknown>, unchanged: RegExp): Promise<void> => {
    const first = await runPreset(t.host, name, params);
    expect(first.ok, first.log).to.equal(true);
    expect((await check(t.host, name, params)).code, `${name} check after the run`).to.equal(0);
    const second = await runPreset(t.host, name, params);
    expect(second.ok, second.log).to.equal(true);
    expect(second.steps.find((s) => s.step === 'apply')!.stdout, second.log).to.match(unchanged);
    expect(second.steps.find((s) => s.step === 'apply')!.stdout, second.log).to.not.match(/^wrote /m);
    expect((await check(t.host, name, params)).code).to.equal(0);
  };

  it('server-light: drifted on the fresh host, converges (ufw, fail2ban, unattended-upgrades), a second run is a no-op', async () => {
    const params = { allow: ['443/tcp', '60000:61000/udp'] };
    expect((await check(t.host, 'server-light', params)).code).to.equal(1);
    await twice('server-light', params, /ufw: already active/);
    const ufw = await t.host.exec(['ufw', 'status', 'verbose']);
    expect(ufw.stdout).to.match(/^Status: active/m);
    expect(ufw.stdout).to.match(/^22\/tcp\s+ALLOW IN/m);
    expect(ufw.stdout).to.match(/^443\/tcp\s+ALLOW IN/m);
    expect((await t.host.exec(['fail2ban-client', 'status', 'sshd'])).code).to.equal(0);
    expect((await t.host.exec(['apt-config', 'dump'])).stdout).to.contain('APT::Periodic::Unattended-Upgrade "1";');
  });

  it('ufw-firewall, fail2ban and unattended-upgrades each find the host compliant and run as no-ops', async () => {
    await twice('ufw-firewall', { allow: ['443/tcp', '60000:61000/udp'] }, /ufw: already active/);
    await twice('fail2ban', {}, /fail2ban already running/);
    await twice('unattended-upgrades', {}, /cron already running/);
    // A different allow list is drift; the SSH port stays open whatever the list.
    expect((await check(t.host, 'ufw-firewall', { allow: ['8443/tcp'] })).code).to.equal(1);
    const r = await runPreset(t.host, 'ufw-firewall', { allow: ['8443/tcp'], sshPort: 2222 });
    expect(r.ok, r.log).to.equal(true);
    expect((await t.host.exec(['ufw', 'show', 'added'])).stdout).to.contain('ufw allow 2222/tcp');
  });

  it('monitoring-stack: node_exporter configured, started and answering /metrics; a second run is a no-op', async () => {
    expect((await check(t.host, 'monitoring-stack', { listenAddress: '127.0.0.1:9100' })).code).to.equal(1);
    await twice('monitoring-stack', { listenAddress: '127.0.0.1:9100' }, /already running/);
  });

  it('ssh-authorized-keys: adds keys, retires one, never removes the last', async () => {
    await t.host.exec(['useradd', '-m', '-s', '/bin/bash', 'deploy']);
    await twice('ssh-authorized-keys', { user: 'deploy', keys: [KEY_A, KEY_B] }, /already holds the keys/);
    expect(t.host.readFile('/home/deploy/.ssh/authorized_keys')).to.equal(`${KEY_A}\n${KEY_B}\n`);
    const stat = await t.host.exec(['stat', '-c', '%U %a', '/home/deploy/.ssh', '/home/deploy/.ssh/authorized_keys']);
    expect(stat.stdout).to.equal('deploy 700\ndeploy 600\n');
    await twice('ssh-authorized-keys', { user: 'deploy', keys: [KEY_A], remove: [KEY_B] }, /already holds the keys/);
    expect(t.host.readFile('/home/deploy/.ssh/authorized_keys')).to.equal(`${KEY_A}\n`);
    const last = await runPreset(t.host, 'ssh-authorized-keys', { user: 'deploy', keys: [], remove: [KEY_A] });
    expect(last.ok).to.equal(false);
    expect(last.log).to.contain('would leave deploy without any key');
    expect(t.host.readFile('/home/deploy/.ssh/authorized_keys')).to.equal(`${KEY_A}\n`);
  });

  it('tls-renew: certbot certificates close to expiry are drifted, far ones compliant (renewal itself needs an ACME server)', async () => {
    const cert = async (name: string, days: number): Promise<void> => {
      await t.host.exec(['mkdir', '-p', `/etc/letsencrypt/live/${name}`]);
      const r = await t.host.exec(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', String(days),
        '-keyout', `/etc/letsencrypt/live/${name}/privkey.pem`, '-out', `/etc/letsencrypt/live/${name}/cert.pem`]);
      expect(r.code, r.stderr).to.equal(0);
    };
    await cert('far.example', 90);
    expect((await check(t.host, 'tls-renew', {})).code).to.equal(0);
    await cert('soon.example', 3);
    expect((await check(t.host, 'tls-renew', {})).code).to.equal(1);
    expect((await check(t.host, 'tls-renew', { certName: 'far.example' })).code).to.equal(0);
    expect((await runStep(t.host, 'tls-renew', 'precheck', { certName: 'none.example' }))!.code).to.equal(1);
    await t.host.exec(['rm', '-rf', '/etc/letsencrypt/live/soon.example']);
  });

  it('docker-prune refuses a host without Docker before changing anything; apt-security-upgrade judges from the package lists', async () => {
    const r = await runPreset(t.host, 'docker-prune', {});
    expect(r.steps.map((s) => [s.step, s.code])).to.deep.equal([['precheck', 1]]);
    expect(r.log).to.contain('not a Docker host');
    expect((await check(t.host, 'docker-prune', {})).code).to.equal(3);
    // The image's lists are debootstrap's own: nothing newer is known, so nothing is pending.
    expect((await check(t.host, 'apt-security-upgrade', {})).code).to.equal(0);
    await t.host.exec(['sh', '-c', 'mv /var/lib/apt/lists /var/lib/apt/lists.aside && mkdir /var/lib/apt/lists']);
    expect((await check(t.host, 'apt-security-upgrade', {})).code).to.equal(3);
    await t.host.exec(['sh', '-c', 'rm -rf /var/lib/apt/lists && mv /var/lib/apt/lists.aside /var/lib/apt/lists']);
  });

  it('shell-injection attempts that bypass admission change nothing: the scripts refuse them or treat them as data', async () => {
    const attempts = ['x; touch /root/pwned', 'x$(touch /root/pwned)', 'x`touch /root/pwned`', 'x\ntouch /root/pwned', "x' ; touch /root/pwned; '", 'x" ; touch /root/pwned; "'];
    const cases: Array<[string, (v: string) => Record<string, unknown>]> = [
      ['ufw-firewall', (v) => ({ allow: [v] })],
      ['server-light', (v) => ({ allow: [v] })],
      ['monitoring-stack', (v) => ({ listenAddress: v })],
      ['ssh-authorized-keys', (v) => ({ user: v, keys: [KEY_A] })],
      ['ssh-authorized-keys', (v) => ({ user: 'deploy', keys: [`${KEY_A.split(' ').slice(0, 2).join(' ')} ${v}`] })],
      ['tls-renew', (v) => ({ certName: v })],
      ['postgres-backup', (v) => ({ repository: v, passwordRef: 'file:/etc/hostname' })],
      ['postgres-backup', (v) => ({ repository: '/srv/restic', passwordRef: `file:/nonexistent/${v}` })],
      ['postgres-backup', (v) => ({ repository: '/srv/restic', passwordRef: 'file:/etc/hostname', database: v })],
      ['restore-drill', (v) => ({ repository: v, passwordRef: 'file:/etc/hostname' })],
    ];
    const before = await t.host.exec(['sh', '-c', 'cat /home/deploy/.ssh/authorized_keys /etc/default/prometheus-node-exporter; ufw show added']);
    for (const [name, params] of cases) {
      for (const v of attempts) {
        const r = await runPreset(t.host, name, params(v));
        expect(r.ok, `${name} ${JSON.stringify(params(v))}\n${r.log}`).to.equal(false);
        expect(r.steps.map((s) => s.step), r.log).to.deep.equal(['precheck']);
        expect((await t.host.exec(['test', '-e', '/root/pwned'])).code, `${name} ${JSON.stringify(v)}`).to.equal(1);
      }
    }
    const after = await t.host.exec(['sh', '-c', 'cat /home/deploy/.ssh/authorized_keys /etc/default/prometheus-node-exporter; ufw show added']);
    expect(after.stdout).to.equal(before.stdout);
  });
});
