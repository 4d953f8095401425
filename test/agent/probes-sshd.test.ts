import { expect } from 'chai';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import { loadSshdConfig, parseSshdConfig, splitArgs, splitLine, sshdProbe, SSHD_DEFAULTS } from '@hyprbox/agent/probes/sshd';
import type { FileInput, ProbeResult } from '@hyprbox/agent/probes/types';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureEntry, FixtureRoot } from './probes-fixtures.js';

const SETTING_FIELDS = [
  'sshd.passwordAuthentication', 'sshd.permitRootLogin', 'sshd.pubkeyAuthentication', 'sshd.kbdInteractiveAuthentication',
  'sshd.permitEmptyPasswords', 'sshd.x11Forwarding', 'sshd.maxAuthTries', 'sshd.port',
];

// Debian 12's shipped /etc/ssh/sshd_config, trimmed of most comments.
const DEBIAN_SSHD_CONFIG = `
# This is the sshd server system-wide configuration file.  See
# sshd_config(5) for more information.

Include /etc/ssh/sshd_config.d/*.conf

#Port 22
#PermitRootLogin prohibit-password
#PasswordAuthentication yes
#PermitEmptyPasswords no

# Change to yes to enable challenge-response passwords (beware issues with
# some PAM modules and threads)
KbdInteractiveAuthentication no

UsePAM yes

X11Forwarding yes
PrintMotd no

# Allow client to pass locale environment variables
AcceptEnv LANG LC_*

# override default of no subsystems
Subsystem	sftp	/usr/lib/openssh/sftp-server
`;

describe('probes: sshd', () => {
  let fx: FixtureRoot | undefined;
  const withRoot = async (files: Record<string, FixtureEntry>): Promise<ReturnType<typeof createHostAccess>> => {
    fx = await makeRoot(files);
    return createHostAccess(fx.root);
  };
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });
  const values = (r: ProbeResult): Record<string, unknown> =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.state === 'ok' ? v.value : `unknown: ${v.reason}`]));

  it("Debian 12's stock config: defaults where nothing is set, file values with their line", async () => {
    const host = await withRoot({ 'etc/ssh/sshd_config': DEBIAN_SSHD_CONFIG, 'etc/ssh/sshd_config.d': { dir: true }, 'root/.ssh': { dir: true } });
    const r = await sshdProbe.collect(host);
    expect(values(r)).to.deep.equal({
      'sshd.passwordAuthentication': 'yes',
      'sshd.permitRootLogin': 'prohibit-password',
      'sshd.pubkeyAuthentication': 'yes',
      'sshd.kbdInteractiveAuthentication': 'no',
      'sshd.permitEmptyPasswords': 'no',
      'sshd.x11Forwarding': 'yes',
      'sshd.maxAuthTries': 6,
      'sshd.port': [22],
      'sshd.sources': {
        passwordAuthentication: 'default',
        permitRootLogin: 'default',
        pubkeyAuthentication: 'default',
        kbdInteractiveAuthentication: '/etc/ssh/sshd_config:14',
        permitEmptyPasswords: 'default',
        x11Forwarding: '/etc/ssh/sshd_config:18',
        maxAuthTries: 'default',
        port: 'default',
      },
      'sshd.matchOverrides': [],
      'sshd.configErrors': [],
      'sshd.authorizedKeys': 0,
    });
    const cfg = await loadSshdConfig(host);
    expect(cfg.settings.passwordAuthentication).to.deep.equal({ state: 'ok', value: { value: 'yes', source: 'default' } });
    expect(cfg.settings.kbdInteractiveAuthentication).to.deep.equal({
      state: 'ok', value: { value: 'no', source: 'file', file: '/etc/ssh/sshd_config', line: 14 },
    });
    expect(cfg.files).to.deep.equal(['/etc/ssh/sshd_config']);
    expect(cfg.includes).to.deep.equal(['/etc/ssh/sshd_config.d/*.conf']);
    expect(SSHD_DEFAULTS.kbdInteractiveAuthentication).to.equal('yes'); // compiled default; Debian sets "no" in the file
  });

  it('Include: globs sorted, relative to /etc/ssh, several patterns per line; first value wins across files', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': [
        'Include sshd_config.d/*.conf /etc/ssh/extra.conf /etc/ssh/absent.conf', // 1
        'PasswordAuthentication yes', // 2
        'PermitRootLogin yes', // 3
        'MaxAuthTries 10', // 4
        'Port 2200', // 5
      ].join('\n'),
      'etc/ssh/sshd_config.d/20-b.conf': 'PasswordAuthentication no\nMaxAuthTries 3\nPort 2222\n',
      'etc/ssh/sshd_config.d/10-a.conf': 'maxauthtries 4\n',
      'etc/ssh/sshd_config.d/.hidden.conf': 'PermitRootLogin no\n',
      'etc/ssh/sshd_config.d/30-c.conf.bak': 'PermitRootLogin no\n',
      'etc/ssh/extra.conf': 'X11Forwarding yes\nPasswordAuthentication yes\n',
    });
    const cfg = await loadSshdConfig(host);
    expect(cfg.files).to.deep.equal([
      '/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-a.conf', '/etc/ssh/sshd_config.d/20-b.conf', '/etc/ssh/extra.conf',
    ]);
    expect(cfg.settings.maxAuthTries).to.deep.equal({ state: 'ok', value: { value: 4, source: 'file', file: '/etc/ssh/sshd_config.d/10-a.conf', line: 1 } });
    expect(cfg.settings.passwordAuthentication).to.deep.equal({ state: 'ok', value: { value: 'no', source: 'file', file: '/etc/ssh/sshd_config.d/20-b.conf', line: 1 } });
    expect(cfg.settings.x11Forwarding).to.deep.equal({ state: 'ok', value: { value: 'yes', source: 'file', file: '/etc/ssh/extra.conf', line: 1 } });
    expect(cfg.settings.permitRootLogin).to.deep.equal({ state: 'ok', value: { value: 'yes', source: 'file', file: '/etc/ssh/sshd_config', line: 3 } });
    // Port accumulates in reading order
    expect(cfg.settings.port).to.deep.equal({ state: 'ok', value: { value: [2222, 2200], source: 'file', file: '/etc/ssh/sshd_config.d/20-b.conf', line: 3 } });
    expect(cfg.includes).to.deep.equal(['/etc/ssh/sshd_config.d/*.conf', '/etc/ssh/extra.conf', '/etc/ssh/absent.conf']);
    expect(cfg.errors).to.deep.equal([]);
    expect(await sshdProbe.watches(host)).to.deep.equal([
      '/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-a.conf', '/etc/ssh/sshd_config.d/20-b.conf', '/etc/ssh/extra.conf',
      '/etc/ssh/sshd_config.d', '/etc/ssh/absent.conf', '/root/.ssh/authorized_keys',
    ]);
  });

  it('syntax: case-insensitive keywords, key=value, quotes, escapes, comments, CRLF', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': [
        '# comment',
        '   # indented comment',
        '#PasswordAuthentication no',
        'passwordauthentication=no',
        'PERMITROOTLOGIN = "without-password"   # trailing comment',
        "X11Forwarding    'no'\r",
        'Port=2222',
        'port 2200',
        'Port 2222',
        'MaxAuthTries "5"',
        'KbdInteractiveAuthentication no # a comment with an "odd quote',
        'ChallengeResponseAuthentication yes',
        '\tPermitEmptyPasswords\t=\tyes',
        'PubkeyAuthentication "y"es',
        '',
      ].join('\n'),
    });
    const r = values(await sshdProbe.collect(host));
    expect(SETTING_FIELDS.map((f) => r[f])).to.deep.equal(['no', 'prohibit-password', 'yes', 'no', 'yes', 'no', 5, [2222, 2200]]);
    expect(r['sshd.configErrors']).to.deep.equal([]);
    expect(r['sshd.sources']).to.deep.include({ kbdInteractiveAuthentication: '/etc/ssh/sshd_config:11', pubkeyAuthentication: '/etc/ssh/sshd_config:14' });
  });

  it('tokenizes like OpenSSH argv_split and strdelim', () => {
    expect(splitArgs('a "b c" \'d e\' f\\ g h#i #j k')).to.deep.equal(['a', 'b c', 'd e', 'f g', 'h#i']);
    expect(splitArgs('"unterminated')).to.equal(null);
    expect(splitArgs('x\\"y \\\\z')).to.deep.equal(['x"y', '\\z']);
    expect(splitLine('  Key = "v w"  ')).to.deep.equal({ keyword: 'Key', args: ['v w'] });
    expect(splitLine('Key=v')).to.deep.equal({ keyword: 'Key', args: ['v'] });
    expect(splitLine('Key =v')).to.deep.equal({ keyword: 'Key', args: ['v'] });
    expect(splitLine('Key')).to.deep.equal({ keyword: 'Key', error: 'no argument after keyword "Key"' });
    expect(splitLine('Key "v')).to.deep.equal({ keyword: 'Key', error: 'invalid quotes' });
    expect(splitLine('   ')).to.equal(null);
    expect(splitLine(' # Key v')).to.equal(null);
  });

  it('Match blocks do not change globals and are reported; Match all returns to global; an included Match does not leak', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': [
        'PasswordAuthentication no', // 1
        'Include /etc/ssh/sshd_config.d/*.conf', // 2
        'X11Forwarding yes', // 3: global, the included file's Match ended with that file
        'Match User alice', // 4
        '  PasswordAuthentication yes', // 5
        '  PermitRootLogin yes', // 6
        '  X11Forwarding no', // 7
        'Match Address 10.0.0.0/8,192.168.0.0/16', // 8
        '  PermitRootLogin no', // 9
        '  PasswordAuthentication no', // 10
        '  Include /etc/ssh/carol.conf', // 11
        'Match all', // 12
        'PermitRootLogin no', // 13
        'MaxAuthTries 2', // 14
      ].join('\n'),
      'etc/ssh/sshd_config.d/50-cloud.conf': 'Match User bob\n  PasswordAuthentication yes\n',
      'etc/ssh/carol.conf': 'PermitRootLogin forced-commands-only\nMatch all\nPasswordAuthentication yes\n',
    });
    const r = await sshdProbe.collect(host);
    const v = values(r);
    expect(v['sshd.passwordAuthentication']).to.equal('no');
    expect(v['sshd.permitRootLogin']).to.equal('no');
    expect(v['sshd.x11Forwarding']).to.equal('yes');
    expect(v['sshd.maxAuthTries']).to.equal(2);
    expect(v['sshd.sources']).to.deep.include({ permitRootLogin: '/etc/ssh/sshd_config:13', x11Forwarding: '/etc/ssh/sshd_config:3' });
    expect(v['sshd.matchOverrides']).to.deep.equal([
      { criteria: 'User bob', keyword: 'PasswordAuthentication', value: 'yes', source: '/etc/ssh/sshd_config.d/50-cloud.conf:2' },
      { criteria: 'User alice', keyword: 'PasswordAuthentication', value: 'yes', source: '/etc/ssh/sshd_config:5' },
      { criteria: 'User alice', keyword: 'PermitRootLogin', value: 'yes', source: '/etc/ssh/sshd_config:6' },
      { criteria: 'Address 10.0.0.0/8,192.168.0.0/16', keyword: 'PermitRootLogin', value: 'no', source: '/etc/ssh/sshd_config:9' },
      { criteria: 'Address 10.0.0.0/8,192.168.0.0/16', keyword: 'PermitRootLogin', value: 'forced-commands-only', source: '/etc/ssh/carol.conf:1' },
      { criteria: 'Address 10.0.0.0/8,192.168.0.0/16 ; all', keyword: 'PasswordAuthentication', value: 'yes', source: '/etc/ssh/carol.conf:3' },
    ]);
    const cfg = await loadSshdConfig(host);
    expect(cfg.matchSettings.state === 'ok' && cfg.matchSettings.value.map((m) => `${m.keyword}=${m.value}@${m.line}`)).to.deep.equal([
      'PasswordAuthentication=yes@2', 'PasswordAuthentication=yes@5', 'PermitRootLogin=yes@6', 'X11Forwarding=no@7',
      'PermitRootLogin=no@9', 'PasswordAuthentication=no@10', 'PermitRootLogin=forced-commands-only@1', 'PasswordAuthentication=yes@3',
    ]);
  });

  it('an Include cycle stops, is reported, and leaves fields not yet set unknown (never a default)', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': 'Include a.conf\nPermitRootLogin no\n',
      'etc/ssh/a.conf': 'MaxAuthTries 3\nInclude b.conf\n',
      'etc/ssh/b.conf': 'PasswordAuthentication no\nInclude /etc/ssh/a.conf\n',
    });
    const v = values(await sshdProbe.collect(host));
    const cycle = 'Include cycle /etc/ssh/a.conf -> /etc/ssh/b.conf -> /etc/ssh/a.conf';
    expect(v['sshd.configErrors']).to.deep.equal([`/etc/ssh/b.conf:2: ${cycle}; sshd would refuse this configuration (too many recursive includes)`]);
    expect(v['sshd.maxAuthTries']).to.equal(3);
    expect(v['sshd.passwordAuthentication']).to.equal('no');
    expect(v['sshd.permitRootLogin']).to.equal(`unknown: ${cycle}`);
    expect(v['sshd.x11Forwarding']).to.equal(`unknown: ${cycle}`);
    expect(v['sshd.port']).to.equal(`unknown: ${cycle}`);
    expect(v['sshd.matchOverrides']).to.equal(`unknown: ${cycle}; Match blocks there are not known`);
  });

  it('a file including its own glob is a cycle too', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': 'PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\n',
      'etc/ssh/sshd_config.d/self.conf': 'Include /etc/ssh/sshd_config.d/*.conf\n',
    });
    const cfg = await loadSshdConfig(host);
    expect(cfg.errors).to.have.length(1);
    expect(cfg.errors[0]).to.match(/^\/etc\/ssh\/sshd_config.d\/self.conf:1: Include cycle \/etc\/ssh\/sshd_config.d\/self.conf -> \/etc\/ssh\/sshd_config.d\/self.conf;/);
    expect(cfg.settings.passwordAuthentication.state).to.equal('ok');
    expect(cfg.settings.permitRootLogin.state).to.equal('unknown');
  });

  it('includes nest at most 16 levels deep, as sshd', async () => {
    const files: Record<string, FixtureEntry> = { 'etc/ssh/sshd_config': 'Include l1.conf\n' };
    for (let i = 1; i <= 17; i++) files[`etc/ssh/l${i}.conf`] = i === 16 ? 'MaxAuthTries 9\nInclude l17.conf\n' : i === 17 ? 'PermitRootLogin no\n' : `Include l${i + 1}.conf\n`;
    const host = await withRoot(files);
    const cfg = await loadSshdConfig(host);
    expect(cfg.files).to.have.length(17); // main + l1..l16
    expect(cfg.errors).to.deep.equal(['/etc/ssh/l16.conf:2: includes nested deeper than 16 levels; sshd would refuse this configuration']);
    expect(cfg.settings.maxAuthTries).to.deep.equal({ state: 'ok', value: { value: 9, source: 'file', file: '/etc/ssh/l16.conf', line: 1 } });
    expect(cfg.settings.permitRootLogin).to.deep.equal({ state: 'unknown', reason: 'Include of /etc/ssh/l17.conf at /etc/ssh/l16.conf:2 is nested deeper than 16 levels' });
  });

  it('an unreadable main file makes every field unknown with the reason, never "no"', async () => {
    const host = await withRoot({ 'etc/ssh/sshd_config': { dir: true }, 'root/.ssh/authorized_keys': 'ssh-ed25519 AAAA root@x\n' });
    const r = await sshdProbe.collect(host);
    const reason = 'cannot read /etc/ssh/sshd_config: is a directory (EISDIR)';
    for (const f of [...SETTING_FIELDS, 'sshd.sources', 'sshd.matchOverrides', 'sshd.configErrors']) {
      expect(r[f], f).to.deep.equal({ state: 'unknown', reason });
    }
    expect(r['sshd.authorizedKeys']).to.deep.equal({ state: 'ok', value: 1 });

    await fx!.cleanup();
    const missing = await withRoot({});
    expect((await sshdProbe.collect(missing))['sshd.passwordAuthentication']).to.deep.equal({
      state: 'unknown', reason: 'cannot read /etc/ssh/sshd_config: no such file or directory (ENOENT)',
    });
  });

  it('an unreadable Include leaves unknown what it could have set first; earlier values stand', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': 'PasswordAuthentication no\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nMatch User x\n  Include /etc/ssh/in-match/*.conf\n',
      'etc/ssh/sshd_config.d/10-ok.conf': 'X11Forwarding yes\n',
      'etc/ssh/sshd_config.d/20-broken.conf': { dir: true },
      'etc/ssh/sshd_config.d/30-later.conf': 'MaxAuthTries 3\n',
    });
    const r = await sshdProbe.collect(host);
    const reason = 'cannot read /etc/ssh/sshd_config.d/20-broken.conf: is a directory (EISDIR)';
    expect(r['sshd.passwordAuthentication']).to.deep.equal({ state: 'ok', value: 'no' });
    expect(r['sshd.x11Forwarding']).to.deep.equal({ state: 'ok', value: 'yes' });
    for (const f of ['sshd.permitRootLogin', 'sshd.maxAuthTries', 'sshd.port', 'sshd.pubkeyAuthentication', 'sshd.kbdInteractiveAuthentication', 'sshd.permitEmptyPasswords']) {
      expect(r[f], f).to.deep.equal({ state: 'unknown', reason });
    }
    expect(r['sshd.matchOverrides']).to.deep.equal({ state: 'unknown', reason: `${reason}; Match blocks there are not known` });
  });

  it('an unreadable Include inside a Match block only makes the Match list unknown', async () => {
    const host = await withRoot({
      'etc/ssh/sshd_config': 'PasswordAuthentication no\nMatch User x\n  Include /etc/ssh/in-match/*.conf\n',
      'etc/ssh/in-match/broken.conf': { dir: true },
    });
    const r = values(await sshdProbe.collect(host));
    expect(r['sshd.passwordAuthentication']).to.equal('no');
    expect(r['sshd.permitRootLogin']).to.equal('prohibit-password');
    expect(r['sshd.port']).to.deep.equal([22]);
    expect(r['sshd.matchOverrides']).to.equal('unknown: cannot read /etc/ssh/in-match/broken.conf: is a directory (EISDIR); Match blocks there are not known');
  });

  it('values sshd would reject are errors; the field is unknown unless set before', () => {
    const content = [
      'PermitRootLogin no',
      'PermitRootLogin maybe',
      'PasswordAuthentication maybe',
      'PasswordAuthentication no',
      'MaxAuthTries 3 4',
      'X11Forwarding "yes',
      'Port 0',
      'Match User y',
      'Port 2222',
    ].join('\n');
    const files = (p: string): FileInput => (p === '/etc/ssh/sshd_config' ? { path: p, content } : { path: p, error: `cannot read ${p}: no such file or directory (ENOENT)` });
    const cfg = parseSshdConfig(files);
    expect(cfg.errors).to.deep.equal([
      '/etc/ssh/sshd_config:2: PermitRootLogin: unsupported value "maybe"',
      '/etc/ssh/sshd_config:3: PasswordAuthentication: unsupported value "maybe"',
      '/etc/ssh/sshd_config:5: MaxAuthTries has extra arguments at end of line',
      '/etc/ssh/sshd_config:6: invalid quotes',
      '/etc/ssh/sshd_config:7: Port: badly formatted port number "0"',
      '/etc/ssh/sshd_config:9: Port is not allowed within a Match block',
    ]);
    expect(cfg.settings.permitRootLogin).to.deep.equal({ state: 'ok', value: { value: 'no', source: 'file', file: '/etc/ssh/sshd_config', line: 1 } });
    expect(cfg.settings.passwordAuthentication).to.deep.equal({
      state: 'unknown', reason: 'PasswordAuthentication at /etc/ssh/sshd_config:3: unsupported value "maybe"; sshd would refuse this configuration',
    });
    expect(cfg.settings.maxAuthTries.state).to.equal('unknown');
    expect(cfg.settings.x11Forwarding).to.deep.equal({
      state: 'unknown', reason: 'X11Forwarding at /etc/ssh/sshd_config:6 is invalid (invalid quotes); sshd would refuse this configuration',
    });
    expect(cfg.settings.port.state).to.equal('unknown');
    expect(cfg.settings.pubkeyAuthentication).to.deep.equal({ state: 'ok', value: { value: 'yes', source: 'default' } });
  });

  it('the pure parser takes any file lookup and globber', () => {
    const tree: Record<string, string> = {
      '/etc/ssh/sshd_config': 'Include conf.d/*\nPort 22\n',
      '/etc/ssh/conf.d/a': 'Port 2022\nPermitEmptyPasswords yes\n',
    };
    const files = (p: string): FileInput => (tree[p] !== undefined ? { path: p, content: tree[p] } : { path: p, error: 'nope' });
    const cfg = parseSshdConfig(files, '/etc/ssh/sshd_config', (pattern) => {
      expect(pattern).to.equal('/etc/ssh/conf.d/*');
      return ['/etc/ssh/conf.d/a'];
    });
    expect(cfg.settings.port).to.deep.equal({ state: 'ok', value: { value: [2022, 22], source: 'file', file: '/etc/ssh/conf.d/a', line: 1 } });
    expect(cfg.settings.permitEmptyPasswords.state === 'ok' && cfg.settings.permitEmptyPasswords.value.value).to.equal('yes');
    const failing = parseSshdConfig(files, '/etc/ssh/sshd_config', () => {
      throw new Error('cannot list /etc/ssh/conf.d: permission denied (EACCES)');
    });
    expect(failing.settings.port).to.deep.equal({
      state: 'unknown', reason: 'cannot expand Include /etc/ssh/conf.d/* (/etc/ssh/sshd_config:1): cannot list /etc/ssh/conf.d: permission denied (EACCES)',
    });
  });

  describe('authorized keys', () => {
    it('counts non-comment lines in root\'s and every /home/*/.ssh/authorized_keys; absent files count 0', async () => {
      const host = await withRoot({
        'etc/ssh/sshd_config': 'PasswordAuthentication no\n',
        'root/.ssh/authorized_keys': '# managed\nssh-ed25519 AAAA root@a\n\n  \nssh-rsa BBBB root@b\n',
        'home/alice/.ssh/authorized_keys': 'ssh-ed25519 CCCC alice\n#ssh-rsa old\n',
        'home/bob/.profile': '',
        'home/notadir': '',
      });
      expect((await sshdProbe.collect(host))['sshd.authorizedKeys']).to.deep.equal({ state: 'ok', value: 3 });
    });

    it('none anywhere is 0, a real answer', async () => {
      const host = await withRoot({ 'etc/ssh/sshd_config': '' });
      expect((await sshdProbe.collect(host))['sshd.authorizedKeys']).to.deep.equal({ state: 'ok', value: 0 });
    });

    it('an authorized_keys that exists but cannot be read makes the count unknown', async () => {
      const host = await withRoot({
        'etc/ssh/sshd_config': '',
        'root/.ssh/authorized_keys': 'ssh-ed25519 AAAA root\n',
        'home/carol/.ssh/authorized_keys': { dir: true },
      });
      expect((await sshdProbe.collect(host))['sshd.authorizedKeys']).to.deep.equal({
        state: 'unknown', reason: 'cannot read /home/carol/.ssh/authorized_keys: is a directory (EISDIR)',
      });
    });

    it('an unreadable /root/.ssh with nothing else readable is unknown, not 0', async () => {
      const host = await withRoot({ 'etc/ssh/sshd_config': '', 'root/.ssh': { symlink: '../../outside' } });
      const r = (await sshdProbe.collect(host))['sshd.authorizedKeys'];
      expect(r).to.deep.equal({ state: 'unknown', reason: 'cannot read /root/.ssh/authorized_keys: path escapes the host root (EESCAPE)' });
    });
  });
});
