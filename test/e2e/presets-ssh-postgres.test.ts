// ssh-hardening and postgres-backup + restore-drill, run DIRECTLY on Debian test hosts (each step's script on
// `bash -s`, params as environment variables, as the agent runs them: test/presets/run-preset.ts).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { check, runPreset } from '../presets/run-preset.js';
import { PRESET_PACKAGES, useTestHost } from '../lib/testhost.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA admin@laptop\n';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('ssh-hardening on a Debian test host', function () {
  this.timeout(120_000);
  const t = useTestHost();
  const config = (): string => t.host.readFile('/etc/ssh/sshd_config');

  before(async () => {
    expect((await t.host.exec(['ssh-keygen', '-A'])).code).to.equal(0);
  });

  it('without an authorized key: the precheck fails and sshd_config stays byte-identical', async () => {
    const before = sha(config());
    const r = await runPreset(t.host, 'ssh-hardening');
    expect(r.steps.map((s) => [s.step, s.code])).to.deep.equal([['precheck', 1]]);
    expect(r.log).to.contain('no authorized key');
    expect(sha(config())).to.equal(before);
    expect((await check(t.host, 'ssh-hardening')).code).to.equal(1);
  });

  it('a deliberately broken config is reverted byte for byte', async () => {
    t.host.writeFile('/root/.ssh/authorized_keys', KEY, 0o600);
    const good = config();
    t.host.writeFile('/etc/ssh/sshd_config', `${good}NoSuchKeyword yes\n`);
    const broken = config();
    const r = await runPreset(t.host, 'ssh-hardening');
    expect(r.ok).to.equal(false);
    expect(r.steps.map((s) => [s.step, s.code])).to.deep.equal([['precheck', 0], ['apply', 1]]);
    expect(r.log).to.contain('sshd -t rejects the configuration');
    expect(r.log).to.contain('Bad configuration option: NoSuchKeyword');
    expect(config()).to.equal(broken);
    t.host.writeFile('/etc/ssh/sshd_config', good);
  });

  it('with a key: converges, sshd -t passes, the check says compliant; a second run is a no-op', async () => {
    const r = await runPreset(t.host, 'ssh-hardening');
    expect(r.ok, r.log).to.equal(true);
    expect((await t.host.exec(['sshd', '-t'])).code).to.equal(0);
    const eff = (await t.host.exec(['sshd', '-T'])).stdout;
    expect(eff).to.match(/^passwordauthentication no$/m);
    expect(eff).to.match(/^permitrootlogin (without-password|prohibit-password)$/m);
    expect((await check(t.host, 'ssh-hardening')).code).to.equal(0);
    const after = sha(config());
    const again = await runPreset(t.host, 'ssh-hardening');
    expect(again.ok, again.log).to.equal(true);
    expect(again.log).to.contain('already hardened');
    expect(sha(config())).to.equal(after);
    // permitRootLogin no is a different desired state: drifted, then converged.
    expect((await check(t.host, 'ssh-hardening', { permitRootLogin: 'no' })).code).to.equal(1);
    expect((await runPreset(t.host, 'ssh-hardening', { permitRootLogin: 'no' })).ok).to.equal(true);
    expect(config().match(/BEGIN hyprbox ssh-hardening/g)).to.have.length(1);
  });
});

describe('postgres-backup and restore-drill against Debian PostgreSQL in a test host', function () {
  this.timeout(300_000);
  const t = useTestHost({ network: true, services: true, packages: [...PRESET_PACKAGES] });
  const params = { repository: '/srv/restic/db', passwordRef: 'file:/etc/hyprbox/restic.pass', schedule: 'daily', maxAgeHours: 26 };
  const sh = async (cmd: string): Promise<string> => {
    const r = await t.host.exec(['bash', '-c', cmd]);
    expect(r.code, `${cmd}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    // No init system: PostgreSQL is started by hand, the way its init script would.
    await sh('pg_ctlcluster 15 main start');
    await sh("runuser -u postgres -- psql -Xqc \"create database shop\" && runuser -u postgres -- psql -Xq shop -c \"create table orders(id int); insert into orders values (42)\"");
    t.host.writeFile('/etc/hyprbox/restic.pass', 'correct horse battery staple\n', 0o600);
  });

  it('backs up: timer (cron) and settings in place, one backup makes a snapshot, the check says compliant; a second run changes no file', async () => {
    expect((await check(t.host, 'postgres-backup', params)).code).to.equal(1);
    const r = await runPreset(t.host, 'postgres-backup', params);
    expect(r.ok, r.log).to.equal(true);
    expect(t.host.readFile('/etc/cron.d/hyprbox-postgres-backup')).to.match(/^17 3 \* \* \* root \/usr\/local\/sbin\/hyprbox-postgres-backup/m);
    expect((await check(t.host, 'postgres-backup', params)).code).to.equal(0);
    const files = 'stat -c "%n %Y" /etc/hyprbox/postgres-backup/* /usr/local/sbin/hyprbox-postgres-backup /etc/cron.d/hyprbox-postgres-backup';
    const before = await sh(files);
    const again = await runPreset(t.host, 'postgres-backup', params);
    expect(again.ok, again.log).to.equal(true);
    expect(again.log).to.contain('already scheduled');
    expect(await sh(files)).to.equal(before);
    const snaps = await sh('RESTIC_PASSWORD_FILE=/etc/hyprbox/restic.pass restic -r /srv/restic/db snapshots --json');
    expect((JSON.parse(snaps) as unknown[]).length).to.equal(2); // one per verify
    // The password reference is data: the settings hold the path, never the password.
    expect(await sh('cat /etc/hyprbox/postgres-backup/*')).to.not.contain('correct horse');
  });

  it('restore-drill restores the newest snapshot, finds the data, reports its age; a second run is a no-op', async () => {
    const drill = { repository: params.repository, passwordRef: params.passwordRef };
    expect((await check(t.host, 'restore-drill', drill)).code).to.equal(1);
    const r = await runPreset(t.host, 'restore-drill', drill);
    expect(r.ok, r.log).to.equal(true);
    expect(r.log).to.match(/restored postgres-all\.sql: \d+ bytes, complete/);
    expect(r.log).to.match(/the snapshot is 0h old/);
    expect((await check(t.host, 'restore-drill', drill)).code).to.equal(0);
    const again = await runPreset(t.host, 'restore-drill', drill);
    expect(again.ok, again.log).to.equal(true);
    expect(again.log).to.contain('the last drill is younger than');
    expect(await sh('ls /var/tmp')).to.not.contain('hyprbox-drill');
    // The dump holds the data: restore it into a scratch database.
    const dump = await sh('RESTIC_PASSWORD_FILE=/etc/hyprbox/restic.pass restic -r /srv/restic/db dump latest postgres-all.sql');
    expect(dump).to.contain('COPY public.orders (id) FROM stdin;\n42\n');
  });

  it('an old newest snapshot is drifted (backup.stale); the next run takes a fresh one', async () => {
    const restic = 'RESTIC_PASSWORD_FILE=/etc/hyprbox/restic.pass restic -r /srv/restic/db';
    const ids = (JSON.parse(await sh(`${restic} snapshots --json`)) as Array<{ id: string }>).map((x) => x.id);
    await sh(`${restic} forget ${ids.join(' ')} && echo old | ${restic} backup --stdin --tag hyprbox-postgres-backup --time "2020-01-01 00:00:00"`);
    const stale = await check(t.host, 'postgres-backup', params);
    expect(stale.code, stale.stdout).to.equal(1);
    expect(stale.stdout).to.match(/newest snapshot: \d+h old/);
    const r = await runPreset(t.host, 'postgres-backup', params);
    expect(r.ok, r.log).to.equal(true);
    expect((await check(t.host, 'postgres-backup', params)).code).to.equal(0);
  });
});
