// The scanners' pure parsers on captured fixtures, including malformed and unreadable inputs, and their
// collectors against fixture roots (never the machine's own /etc).
import { expect } from 'chai';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import {
  automaticUpdatesEnabled, countCryptDevices, isPublicAddress, parseAptConfigDump, parseAptUpgradable, parseFindOutput,
  parseShadowRoot, parseUfwStatus, scanSudoers, sudoersDirEntryUsed,
} from '@hyprbox/agent/probes/audit-parse';
import { auditProbe } from '@hyprbox/agent/probes/audit';
import { parseCertificatePem, tlsProbe } from '@hyprbox/agent/probes/tls';
import { processMatches, procHidepid } from '@hyprbox/agent/probes/processes';
import { newestSnapshot, redactRepository } from '@hyprbox/agent/probes/restic';
import { makeRoot } from './probes-fixtures.js';
import { makeCertPem } from './certs.js';

const DAY = 86_400_000;

describe('scanner parsers', () => {
  describe('tls', () => {
    it('reads the leaf of a PEM chain: names and validity', async () => {
      const notAfter = new Date(Date.now() + 10 * DAY);
      const leaf = await makeCertPem('www.example.test', notAfter);
      const other = await makeCertPem('intermediate.test', new Date(Date.now() + 900 * DAY));
      const r = parseCertificatePem(leaf + other);
      expect(r).to.have.property('cert');
      const c = (r as { cert: { subject: string; dnsNames: string[]; notAfter: string } }).cert;
      expect(c.subject).to.equal('CN=www.example.test');
      expect(c.dnsNames).to.deep.equal(['www.example.test']);
      expect(Math.abs(Date.parse(c.notAfter) - notAfter.getTime())).to.be.below(1000);
    });
    it('says why a file is not a certificate', () => {
      expect(parseCertificatePem('hello')).to.deep.equal({ error: 'no PEM certificate (-----BEGIN CERTIFICATE-----) in the file' });
      const broken = parseCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      expect(broken).to.have.property('error').that.matches(/^not a valid certificate/);
    });
    it('collects every certificate of the globs; unreadable and malformed files are unknown, not fine', async () => {
      const pem = await makeCertPem('a.test', new Date(Date.now() + 3 * DAY));
      const fx = await makeRoot({ '/etc/ssl/hb/a.crt': pem, '/etc/ssl/hb/b.crt': 'garbage', '/etc/ssl/hb/c.crt': { dir: true } });
      try {
        const r = await tlsProbe(() => ['/etc/ssl/hb/*.crt', '/etc/letsencrypt/live/*/fullchain.pem']).collect(createHostAccess(fx.root));
        expect(Object.keys(r).sort()).to.deep.equal(['tls.cert:/etc/ssl/hb/a.crt', 'tls.cert:/etc/ssl/hb/b.crt', 'tls.cert:/etc/ssl/hb/c.crt']);
        expect(r['tls.cert:/etc/ssl/hb/a.crt']!.state).to.equal('ok');
        expect(r['tls.cert:/etc/ssl/hb/b.crt']).to.deep.include({ state: 'unknown' });
        expect(r['tls.cert:/etc/ssl/hb/c.crt']).to.deep.equal({ state: 'unknown', reason: 'cannot read /etc/ssl/hb/c.crt: is a directory (EISDIR)' });
      } finally {
        await fx.cleanup();
      }
    });
  });

  describe('audit', () => {
    it('apt list --upgradable: security suites and kernels', () => {
      const out = [
        'Listing...',
        'libssl3/stable-security 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.11-1~deb12u2]',
        'linux-image-amd64/stable,stable-security 6.1.119-1 amd64 [upgradable from: 6.1.76-1]',
        'tzdata/stable-updates 2024b-0+deb12u1 all [upgradable from: 2024a-0+deb12u1]',
        'WARNING: apt does not have a stable CLI interface.',
      ].join('\n');
      expect(parseAptUpgradable(out)).to.deep.equal({ security: ['libssl3', 'linux-image-amd64'], kernel: ['linux-image-amd64'], all: 3 });
      expect(parseAptUpgradable('Listing...\n')).to.deep.equal({ security: [], kernel: [], all: 0 });
    });
    it('/etc/shadow: root set, locked, empty, absent', () => {
      expect(parseShadowRoot('root:$y$j9T$abc$def:19700:0:99999:7:::\n')).to.equal('set');
      expect(parseShadowRoot('root:*:19700:0:99999:7:::\n')).to.equal('locked');
      expect(parseShadowRoot('root:!$6$x$y:19700::::::\n')).to.equal('locked');
      expect(parseShadowRoot('root::19700::::::\n')).to.equal('empty');
      expect(parseShadowRoot('daemon:*:19700::::::\n')).to.equal(null);
    });
    it('sudoers: NOPASSWD and !authenticate, includes, continuation lines, comments', () => {
      const s = scanSudoers([
        '# a comment with NOPASSWD: in it',
        'Defaults env_reset',
        '%sudo ALL=(ALL:ALL) ALL',
        'deploy ALL=(root) \\',
        '   NOPASSWD: /usr/bin/systemctl',
        'Defaults:backup !authenticate',
        '@includedir /etc/sudoers.d',
        '#include extra',
      ].join('\n'), '/etc/sudoers');
      expect(s.nopasswd).to.deep.equal([
        { line: 4, text: 'deploy ALL=(root)     NOPASSWD: /usr/bin/systemctl' },
        { line: 6, text: 'Defaults:backup !authenticate' },
      ]);
      expect(s.includeDirs).to.deep.equal(['/etc/sudoers.d']);
      expect(s.includes).to.deep.equal(['/etc/extra']);
      expect(sudoersDirEntryUsed('90-cloud')).to.equal(true);
      expect(sudoersDirEntryUsed('README~')).to.equal(false);
      expect(sudoersDirEntryUsed('x.dpkg-old')).to.equal(false);
    });
    it('ufw status verbose', () => {
      expect(parseUfwStatus('Status: inactive\n')).to.deep.equal({ active: false });
      expect(parseUfwStatus('Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n')).to.deep.equal({ active: true, defaultIncoming: 'deny' });
      expect(parseUfwStatus('ERROR: You need to be root to run this script\n')).to.equal(null);
    });
    it('apt-config dump: automatic updates on or off', () => {
      const on = parseAptConfigDump('APT "";\nAPT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n');
      expect(automaticUpdatesEnabled(on)).to.equal(true);
      expect(automaticUpdatesEnabled(parseAptConfigDump('APT::Periodic::Unattended-Upgrade "0";\n'))).to.equal(false);
      expect(automaticUpdatesEnabled(parseAptConfigDump('APT::Architecture "amd64";\n'))).to.equal(false);
    });
    it('lsblk, find, public addresses', () => {
      expect(countCryptDevices('disk\npart\npart\ncrypt\nlvm\n')).to.equal(1);
      expect(countCryptDevices('disk\npart\n')).to.equal(0);
      expect(parseFindOutput('/etc/a\n/etc/b c\nfind: ‘/etc/x’: Permission denied\n')).to.deep.equal(['/etc/a', '/etc/b c']);
      for (const a of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', 'fd00::1', 'fe80::1%eth0', '::1']) expect(isPublicAddress(a), a).to.equal(false);
      for (const a of ['8.8.8.8', '172.32.0.1', '2a01:4f8::1', '::ffff:1.1.1.1']) expect(isPublicAddress(a), a).to.equal(true);
    });
    it('collects sudoers through includes and root password state from a fixture root', async () => {
      const fx = await makeRoot({
        '/etc/shadow': 'root:*:19700:0:99999:7:::\n',
        '/etc/sudoers': 'root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n',
        '/etc/sudoers.d/90-deploy': 'deploy ALL=(ALL) NOPASSWD:ALL\n',
        '/etc/sudoers.d/README': '# nothing\n',
        '/etc/sudoers.d/old.dpkg-old': 'x ALL=(ALL) NOPASSWD:ALL\n',
      });
      try {
        const r = await auditProbe.collect(createHostAccess(fx.root));
        expect(r['audit.rootPassword']).to.deep.equal({ state: 'ok', value: 'locked' });
        expect(r['audit.sudoNopasswd']).to.deep.equal({ state: 'ok', value: [{ file: '/etc/sudoers.d/90-deploy', line: 1, text: 'deploy ALL=(ALL) NOPASSWD:ALL' }] });
        // No package lists in the fixture: pending updates are unknown, not "none".
        expect(r['audit.aptUpgradable']).to.deep.include({ state: 'unknown' });
      } finally {
        await fx.cleanup();
      }
    });
    it('an unreadable /etc/shadow is unknown, a missing /etc/sudoers means no sudo', async () => {
      const fx = await makeRoot({ '/etc/shadow': { dir: true } });
      try {
        const r = await auditProbe.collect(createHostAccess(fx.root));
        expect(r['audit.rootPassword']).to.deep.equal({ state: 'unknown', reason: 'cannot read /etc/shadow: is a directory (EISDIR)' });
        expect(r['audit.sudoNopasswd']).to.deep.equal({ state: 'ok', value: [] });
      } finally {
        await fx.cleanup();
      }
    });
  });

  describe('processes', () => {
    it('matches comm (15 bytes), argv[0] and the script of an interpreter', () => {
      const p = (comm: string, ...argv: string[]) => ({ pid: 1, comm, argv });
      expect(processMatches(p('fail2ban-server', '/usr/bin/python3', '/usr/bin/fail2ban-server', '-xf', 'start'), ['fail2ban-server'])).to.equal(true);
      expect(processMatches(p('python3', '/usr/bin/python3', '/usr/bin/fail2ban-server'), ['fail2ban-server'])).to.equal(true);
      expect(processMatches(p('prometheus-node', '/usr/bin/prometheus-node-exporter'), ['prometheus-node-exporter'])).to.equal(true);
      expect(processMatches(p('auditd', '/sbin/auditd'), ['auditd'])).to.equal(true);
      expect(processMatches(p('bash', '/bin/bash', '-c', 'auditd'), ['auditd'])).to.equal(false);
    });
    it('reads hidepid from /proc/mounts', () => {
      expect(procHidepid('proc /proc proc rw,nosuid,nodev,noexec,relatime,hidepid=invisible 0 0\n')).to.equal('invisible');
      expect(procHidepid('proc /proc proc rw,relatime 0 0\n')).to.equal(undefined);
    });
  });

  describe('restic', () => {
    it('the newest snapshot, none, or an error for what is not restic JSON', () => {
      const json = JSON.stringify([
        { time: '2024-05-01T02:00:00.123456789+02:00', id: 'aaaa', short_id: 'aa', hostname: 'db', paths: ['/srv'] },
        { time: '2024-05-02T02:00:00Z', id: 'bbbb', short_id: 'bb', hostname: 'db', paths: ['/srv'] },
      ]);
      expect(newestSnapshot(json)).to.deep.equal({ time: '2024-05-02T02:00:00.000Z', id: 'bb', hostname: 'db', paths: ['/srv'] });
      expect(newestSnapshot('[]')).to.equal(null);
      expect(() => newestSnapshot('{"message":"x"}')).to.throw(/did not print a list/);
      expect(() => newestSnapshot('not json')).to.throw();
      expect(redactRepository('rest:https://user:secret@backup.example:8000/node1')).to.equal('rest:https://backup.example:8000/node1');
    });
  });
});
