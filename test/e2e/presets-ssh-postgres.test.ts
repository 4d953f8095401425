// ssh-hardening and postgres-backup + restore-drill, run DIRECTLY on Debian test hosts (each step's script on
// `bash -s`, params as environment variables, as the agent runs them: test/presets/run-preset.ts).
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { check, runPreset, runStep } from '../presets/run-preset.js';
import { PRESET_PACKAGES, useTestHost } from '../lib/testhost.js';

// Real public keys (the precheck counts only keys ssh-keygen can read); their private halves were thrown away.
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHyccKvE7fxc4+H/JAoNCXtRYOH6CiViPQHWCMiI8XYL admin@laptop\n';
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc7t3StIJrIrPlxYr7aJXSeczS4jXY1wJBGc/+Rigdj ops@laptop\n';
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
    expect(r.log).to.contain('no account has a key sshd would accept');
    expect(sha(config())).to.equal(before);
    expect((await check(t.host, 'ssh-hardening')).code).to.equal(1);
  });

  describe('the precheck counts only keys sshd would accept; each of these, as the only key, is refused with nothing changed', () => {
    const sh = async (cmd: string): Promise<void> => {
      const r = await t.host.exec(['bash', '-c', cmd]);
      expect(r.code, `${cmd}: ${r.stderr}`).to.equal(0);
    };
    /** bob's authorized_keys holds `lines`; his home, .ssh and file are his, as sshd wants them. */
    const bobKeys = (lines: string) =>
      sh(`install -d -m 700 -o bob -g bob /home/bob/.ssh && printf '%s' '${lines}' > /home/bob/.ssh/authorized_keys && chown bob:bob /home/bob/.ssh/authorized_keys && chmod 600 /home/bob/.ssh/authorized_keys`);
    const refused = async (why: RegExp, params: Record<string, unknown> = {}) => {
      const before = sha(config());
      const r = await runPreset(t.host, 'ssh-hardening', params);
      expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 1]]);
      expect(r.log, r.log).to.match(why);
      expect(sha(config())).to.equal(before);
    };
    before(async () => {
      await sh('useradd -m -s /bin/bash bob && useradd -m -s /bin/bash git && useradd -m -s /usr/sbin/nologin deploy && rm -f /root/.ssh/authorized_keys');
    });
    beforeEach(async () => {
      await sh('rm -rf /home/*/.ssh /root/.ssh/authorized_keys /etc/ssh/sshd_config.d/hyprbox-test.conf; chmod 755 /home/bob; chage -E -1 bob');
    });

    it("root's key when root may not log in (permitRootLogin=no)", async () => {
      t.host.writeFile('/root/.ssh/authorized_keys', KEY, 0o600);
      await refused(/root: keys in \/root\/.ssh\/authorized_keys do not count: root may not log in/, { permitRootLogin: 'no' });
      // The same key with root allowed in by key: it counts.
      expect((await runStep(t.host, 'ssh-hardening', 'precheck'))!.stdout).to.contain('root: 1 usable key(s) in /root/.ssh/authorized_keys');
    });

    it('a forced-command key (Gitea), a key tied to an address, a nologin account, an expired account', async () => {
      await sh(`install -d -m 700 -o git -g git /home/git/.ssh && printf 'command="gitea serv key-1",restrict %s' '${KEY}' > /home/git/.ssh/authorized_keys && chown git: /home/git/.ssh/authorized_keys`);
      await refused(/git: in \/home\/git\/.ssh\/authorized_keys:\s+a key of type ssh-ed25519 limited by command/);
      await bobKeys(`from="192.0.2.10" ${KEY}`);
      await refused(/limited by from/);
      await sh(`install -d -m 700 -o deploy /home/deploy/.ssh && printf '%s' '${KEY}' > /home/deploy/.ssh/authorized_keys && chown deploy /home/deploy/.ssh/authorized_keys && rm -rf /home/bob/.ssh /home/git/.ssh`);
      await refused(/no account has a key sshd would accept/);
      await bobKeys(KEY);
      await sh('chage -E 0 bob');
      await refused(/bob: keys in .* do not count: the account has expired/);
    });

    it('StrictModes (a world-writable home, a file only root can read), AllowUsers, AuthorizedKeysFile elsewhere, 2FA for the user', async () => {
      await bobKeys(KEY);
      await sh('chmod 777 /home/bob');
      await refused(/\/home\/bob is writable by anyone \(StrictModes\)/);
      await sh('chmod 755 /home/bob && chown root:root /home/bob/.ssh/authorized_keys');
      await refused(/bob cannot read it/);
      await sh('chown bob:bob /home/bob/.ssh/authorized_keys && echo "AllowUsers admin" > /etc/ssh/sshd_config.d/hyprbox-test.conf');
      await refused(/it is not in AllowUsers/);
      await sh('echo "AuthorizedKeysFile /etc/ssh/keys/%u" > /etc/ssh/sshd_config.d/hyprbox-test.conf');
      await refused(/no account has a key sshd would accept/);
      await sh('printf "Match User bob\\n  AuthenticationMethods publickey,keyboard-interactive\\n" > /etc/ssh/sshd_config.d/hyprbox-test.conf');
      await refused(/AuthenticationMethods needs more than a key for it/);
    });

    it('a DSA key, a truncated key, a commented-out key, and a loginUsers account without a key', async () => {
      await sh('rm -f /tmp/dsa /tmp/dsa.pub && ssh-keygen -q -t dsa -N "" -f /tmp/dsa');
      const dsa = t.host.readFile('/tmp/dsa.pub');
      await bobKeys(`${dsa}ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIARLgwWr cut\n# ${KEY}`);
      await refused(/a key of type ssh-dss, which sshd refuses[\s\S]*a key of type ssh-ed25519 that ssh-keygen cannot read/);
      await bobKeys(KEY);
      expect((await runStep(t.host, 'ssh-hardening', 'precheck'))!.code).to.equal(0);
      t.host.writeFile('/root/.ssh/authorized_keys', KEY2, 0o600);
      await refused(/git \(in loginUsers\) has no key sshd would accept/, { loginUsers: ['bob', 'git'] });
      expect((await runStep(t.host, 'ssh-hardening', 'precheck', { loginUsers: ['bob', 'root'] }))!.stdout).to.match(/bob: 1 usable key[\s\S]*root: 1 usable key|root: 1 usable key[\s\S]*bob: 1 usable key/);
    });

    it('a hand-damaged managed block (BEGIN without END) is refused rather than cutting the rest of sshd_config', async () => {
      t.host.writeFile('/root/.ssh/authorized_keys', KEY, 0o600);
      const good = config();
      const plain = good.replace(/^# BEGIN hyprbox ssh-hardening[\s\S]*?^# END hyprbox ssh-hardening\n/m, '');
      try {
        t.host.writeFile('/etc/ssh/sshd_config', `# BEGIN hyprbox ssh-hardening (managed; edits inside this block are replaced)\nPasswordAuthentication no\n${plain}`);
        await refused(/damaged hyprbox block \(BEGIN lines: 1; END lines: none\)/);
      } finally {
        t.host.writeFile('/etc/ssh/sshd_config', good);
      }
    });
  });

  it('a config sshd cannot read is refused by the precheck; an apply that makes sshd -t fail is reverted byte for byte', async () => {
    t.host.writeFile('/root/.ssh/authorized_keys', KEY, 0o600);
    const good = config();
    try {
      t.host.writeFile('/etc/ssh/sshd_config', `${good}NoSuchKeyword yes\n`);
      const broken = config();
      const r = await runPreset(t.host, 'ssh-hardening');
      expect(r.steps.map((s) => [s.step, s.code])).to.deep.equal([['precheck', 1]]);
      expect(r.log).to.contain('sshd -T cannot evaluate its settings');
      // The apply on its own (as a direct run would): sshd -t rejects the result and the file is put back.
      const apply = (await runStep(t.host, 'ssh-hardening', 'apply'))!;
      expect(apply.code).to.equal(1);
      expect(apply.stderr).to.contain('sshd -t rejects the configuration');
      expect(apply.stderr).to.contain('Bad configuration option: NoSuchKeyword');
      expect(config()).to.equal(broken);
    } finally {
      t.host.writeFile('/etc/ssh/sshd_config', good);
    }
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
    // permitRootLogin no is a different desired state: drifted; refused while root's key is the only one (it
    // would lock everyone out), converged once another account has a key.
    expect((await check(t.host, 'ssh-hardening', { permitRootLogin: 'no' })).code).to.equal(1);
    const lockout = await runPreset(t.host, 'ssh-hardening', { permitRootLogin: 'no' });
    expect(lockout.steps.map((s) => [s.step, s.code])).to.deep.equal([['precheck', 1]]);
    expect(sha(config())).to.equal(after);
    const ops = await t.host.exec(['bash', '-c', `useradd -m -s /bin/bash ops && install -d -m 700 -o ops -g ops /home/ops/.ssh && printf '%s' '${KEY2}' > /home/ops/.ssh/authorized_keys && chown ops:ops /home/ops/.ssh/authorized_keys`]);
    expect(ops.code, ops.stderr).to.equal(0);
    const no = await runPreset(t.host, 'ssh-hardening', { permitRootLogin: 'no', loginUsers: ['ops'] });
    expect(no.ok, no.log).to.equal(true);
    expect(config().match(/BEGIN hyprbox ssh-hardening/g)).to.have.length(1);
    expect((await check(t.host, 'ssh-hardening', { permitRootLogin: 'no' })).code).to.equal(0);
    expect((await t.host.exec(['userdel', '-r', 'ops'])).code).to.equal(0);
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
