// ufw-firewall, fail2ban and server-light against the lockouts the preset audit found, run DIRECTLY on
// sysvinit-style Debian test hosts (test/presets/run-preset.ts: each step on `bash -s`, params as environment
// variables, rollback when verify fails). ufw and iptables only ever act inside each host's own network
// namespace; the SSH connections below are real TCP connections from this machine's namespace to the host's
// address, through the host's firewall. A fresh host for every case: each starts from a known firewall.
import { connect } from 'node:net';
import { expect } from 'chai';
import { paramCauses } from '@hyprbox/controller/catalog/params';
import { check, preset, runPreset, runStep } from '../presets/run-preset.js';
import { PRESET_PACKAGES, useTestHost, type TestHost } from '../lib/testhost.js';

/** What a TCP connection to <address>:<port> from this machine's namespace gets: the first line the server
 *  sends (sshd's banner), 'connected' (a server that says nothing first), 'refused', or 'timeout' (dropped). */
function probe(address: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    let data = '';
    let connected = false;
    const done = (v: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(data ? data : connected ? 'connected' : 'timeout'), timeoutMs);
    s.on('connect', () => (connected = true));
    s.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\n')) done(data.split('\n')[0]!.trim());
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : `error ${e.code}`));
  });
}

const sh = async (host: TestHost, script: string): Promise<string> => {
  const r = await host.exec(['bash', '-c', script]);
  expect(r.code, `${script}\n${r.stdout}${r.stderr}`).to.equal(0);
  return r.stdout;
};
/** sshd with host keys (a test host has none until then), configured but not started. */
const sshdReady = (host: TestHost): Promise<string> => sh(host, 'ssh-keygen -A > /dev/null && install -d -m 755 /run/sshd');
/** Starts sshd as configured (it daemonizes; the host's teardown ends it). */
const startSshd = (host: TestHost, ...args: string[]): Promise<string> => sh(host, ['/usr/sbin/sshd', ...args].join(' '));
/** ufw's files as content hashes (tar would differ in mtimes): what "nothing changed" means for ufw. */
const ufwFiles = (host: TestHost): Promise<string> => sh(host, 'cd /etc && find ufw default/ufw -type f | sort | xargs sha256sum');
/** The running firewall of the host's namespace, and what ufw says of it. */
const liveFirewall = (host: TestHost): Promise<string> => sh(host, 'iptables -S; ip6tables -S; ufw status verbose');
const SERVER_LIGHT = { allow: [] as string[] };

describe('firewall presets: no lockouts (ufw-firewall, server-light, fail2ban)', function () {
  this.timeout(300_000);
  const t = useTestHost({ network: true, services: true, packages: [...PRESET_PACKAGES], each: true });

  it('sshd on Port 2222 (a drop-in): default params allow 2222/tcp as well, sshd answers through the firewall, and the check needs that rule', async () => {
    const host = t.host;
    await sshdReady(host);
    host.writeFile('/etc/ssh/sshd_config.d/port.conf', 'Port 2222\n');
    await startSshd(host);
    await startSshd(host, '-p', '8022', '-o', 'PidFile=/run/sshd-8022.pid'); // a service the firewall is not told about
    expect(await probe(host.address!, 2222)).to.match(/^SSH-2\.0-/);
    expect(await probe(host.address!, 8022)).to.match(/^SSH-2\.0-/);

    const r = await runPreset(host, 'ufw-firewall', {});
    expect(r.ok, r.log).to.equal(true);
    const added = await sh(host, 'ufw show added');
    expect(added).to.contain('ufw allow 2222/tcp').and.to.contain('ufw allow 22/tcp');
    expect((await check(host, 'ufw-firewall', {})).code).to.equal(0);
    expect(await probe(host.address!, 2222), 'sshd on 2222 through the firewall').to.match(/^SSH-2\.0-/);
    expect(await probe(host.address!, 8022), 'a port nobody allowed is dropped').to.equal('timeout');

    await sh(host, 'ufw delete allow 2222/tcp');
    const drifted = await check(host, 'ufw-firewall', {});
    expect(drifted.code).to.equal(1);
    expect(drifted.stdout).to.contain('2222/tcp');
  });

  it('sshd -T failing (no host keys, or a configuration sshd rejects): the precheck refuses, nothing changed; the check is unknown', async () => {
    const host = t.host;
    const before = await ufwFiles(host);
    // A fresh test host has no SSH host keys: sshd -T cannot run, so nobody knows sshd's port.
    let r = await runPreset(host, 'ufw-firewall', {});
    expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 1]]);
    expect(r.log).to.contain('sshd -T failed').and.to.contain('nothing changed');
    expect((await check(host, 'ufw-firewall', {})).code).to.equal(3);
    r = await runPreset(host, 'server-light', SERVER_LIGHT);
    expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 1]]);

    await sshdReady(host);
    host.writeFile('/etc/ssh/sshd_config.d/typo.conf', 'Prot 2222\n');
    r = await runPreset(host, 'ufw-firewall', {});
    expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 1]]);
    expect(r.log).to.contain('Bad configuration option');
    expect(await ufwFiles(host)).to.equal(before);
    expect(await sh(host, 'ufw status')).to.match(/^Status: inactive/);
  });

  it('allow entries ufw would refuse (70000, 0, 8080:8080, 9000:8000, 080) are refused at admission or by the precheck, nothing changed', async () => {
    const host = t.host;
    await sshdReady(host);
    const before = await ufwFiles(host);
    const p = await preset('ufw-firewall');
    for (const bad of ['70000/tcp', '0/tcp', '8080:8080/tcp', '9000:8000/udp', '080/tcp']) {
      const r = await runPreset(host, 'ufw-firewall', { allow: ['443/tcp', bad] });
      expect(r.steps.map((s) => [s.step, s.code]), `${bad}\n${r.log}`).to.deep.equal([['precheck', 2]]);
      expect(r.log).to.contain(bad);
      if (bad !== '8080:8080/tcp' && bad !== '9000:8000/udp') expect(paramCauses(p, { allow: [bad] }, 'with'), bad).to.have.length.greaterThan(0);
    }
    expect(paramCauses(p, { allow: ['1:65535/tcp', '65535/udp'] }, 'with')).to.deep.equal([]);
    expect(await ufwFiles(host), 'nothing changed').to.equal(before);
  });

  it('an apply that fails half-way puts ufw\'s files back and leaves ufw off as it was', async () => {
    const host = t.host;
    await sshdReady(host);
    // ufw off, set to let everything in but MySQL. A broken before.rules makes the apply fail at its very end
    // (ufw enable loads it), after the rules and the default policy were written.
    await sh(host, 'ufw default allow incoming > /dev/null && ufw deny 3306/tcp > /dev/null');
    await sh(host, 'sed -i "s/^COMMIT/-A ufw-before-input -p tcp --dport 9 -j NOSUCHTARGET\\nCOMMIT/" /etc/ufw/before.rules');
    const files = await ufwFiles(host);
    const r = await runPreset(host, 'ufw-firewall', { allow: ['443/tcp'] });
    expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 0], ['apply', 1]]);
    expect(await sh(host, 'grep ^DEFAULT_INPUT_POLICY /etc/default/ufw'), r.log).to.equal('DEFAULT_INPUT_POLICY="ACCEPT"\n');
    expect(await ufwFiles(host), '/etc/ufw and /etc/default/ufw as before').to.equal(files);
    expect(await sh(host, 'ufw status')).to.match(/^Status: inactive/);
    expect(r.log).to.contain('putting the firewall back as it was before this run');
  });

  it('rollback after a failing verify (server-light): /etc/default/ufw, the live ruleset and fail2ban as before the run', async () => {
    const host = t.host;
    await sshdReady(host);
    // A blacklist-style firewall (allow incoming, deny MySQL), fail2ban installed but stopped and off at boot,
    // and a later apt.conf.d file that keeps automatic upgrades off, so server-light's verify fails.
    await sh(host, 'ufw default allow incoming > /dev/null && ufw deny 3306/tcp > /dev/null && ufw --force enable > /dev/null');
    await sh(host, 'update-rc.d fail2ban disable > /dev/null');
    host.writeFile('/etc/apt/apt.conf.d/99-provider-no-auto-upgrades', 'APT::Periodic::Unattended-Upgrade "0";\n');
    const files = await ufwFiles(host);
    const live = await liveFirewall(host);

    const r = await runPreset(host, 'server-light', SERVER_LIGHT);
    expect(r.steps.map((s) => [s.step, s.code]), r.log).to.deep.equal([['precheck', 0], ['apply', 0], ['verify', 1], ['rollback', 0]]);
    expect(r.steps[1]!.stdout, 'the run did start fail2ban').to.match(/Starting .*fail2ban/);
    expect(await ufwFiles(host), '/etc/ufw and /etc/default/ufw as before').to.equal(files);
    expect(await sh(host, 'grep ^DEFAULT_INPUT_POLICY /etc/default/ufw')).to.equal('DEFAULT_INPUT_POLICY="ACCEPT"\n');
    expect(await liveFirewall(host), 'iptables -S, ip6tables -S and ufw status verbose as before').to.equal(live);
    // What a reboot would load is what runs now: a reload changes nothing.
    await sh(host, 'ufw reload');
    expect(await liveFirewall(host)).to.equal(live);
    expect((await host.exec(['service', 'fail2ban', 'status'])).code, 'fail2ban stopped again').to.not.equal(0);
    expect((await host.exec(['bash', '-c', 'ls /etc/rc2.d/S*fail2ban'])).code, 'and not started at boot').to.not.equal(0);
  });

  it('a dormant deny for the SSH port (ufw off): the run puts the allow first in both families, and sshd answers through the firewall', async () => {
    const host = t.host;
    await sshdReady(host);
    await startSshd(host);
    // Left from an old setup while ufw was off: a deny for port 22 (both protocols), and one for IPv6 only.
    await sh(host, 'ufw deny 22 > /dev/null && ufw deny proto tcp from ::/0 to any port 22 > /dev/null');
    const r = await runPreset(host, 'ufw-firewall', {});
    expect(r.ok, r.log).to.equal(true);
    const numbered = await sh(host, 'ufw status numbered');
    const rules22 = numbered.split('\n').filter((l) => /^\[\s*\d+\]\s+22(\/tcp)?\s/.test(l));
    expect(rules22[0], numbered).to.match(/22\/tcp\s+ALLOW IN\s+Anywhere\s*$/);
    const v6 = numbered.split('\n').filter((l) => /^\[\s*\d+\]\s+22(\/tcp)? \(v6\)/.test(l));
    expect(v6[0], numbered).to.match(/22\/tcp \(v6\)\s+ALLOW IN\s+Anywhere \(v6\)/);
    expect(await probe(host.address!, 22), 'sshd through the firewall').to.match(/^SSH-2\.0-/);
    expect((await check(host, 'ufw-firewall', {})).code).to.equal(0);
    expect(r.log).to.contain('ufw: allow 22/tcp (SSH) put first: a rule before it (deny 22) would have blocked SSH');
  });

  it('an active firewall whose SSH allow comes after a deny is drifted, and a run puts the allow first', async () => {
    const host = t.host;
    await sshdReady(host);
    await startSshd(host);
    await sh(host, 'ufw deny 22 > /dev/null && ufw allow 22/tcp > /dev/null && ufw --force enable > /dev/null');
    expect(await probe(host.address!, 22)).to.equal('timeout');
    const drifted = await check(host, 'ufw-firewall', {});
    expect(drifted.code, drifted.stdout).to.equal(1);
    expect(drifted.stdout).to.contain('comes before any allow for SSH port 22/tcp');
    const fixed = await runPreset(host, 'ufw-firewall', {});
    expect(fixed.ok, fixed.log).to.equal(true);
    expect(await probe(host.address!, 22)).to.match(/^SSH-2\.0-/);
    expect((await check(host, 'ufw-firewall', {})).code).to.equal(0);
  });

  it('an allow for the SSH port from one network only (ufw active) is kept, not widened, and the check agrees', async () => {
    const host = t.host;
    await sshdReady(host);
    await startSshd(host);
    // SSH from the office only, and not at all over IPv6 (the deny decides there): the operator's choice.
    await sh(host, 'ufw allow from 198.51.100.0/24 to any port 22 proto tcp > /dev/null && ufw deny 22/tcp > /dev/null && ufw --force enable > /dev/null');
    const r = await runPreset(host, 'ufw-firewall', { allow: ['443/tcp', '22/tcp'] });
    expect(r.ok, r.log).to.equal(true);
    const added = await sh(host, 'ufw show added');
    expect(added).to.contain('ufw allow 443/tcp').and.to.contain('ufw allow from 198.51.100.0/24 to any port 22 proto tcp');
    expect(added, 'not opened to anywhere').to.not.contain('ufw allow 22/tcp');
    expect(await probe(host.address!, 22), 'this machine is not in the office network').to.equal('timeout');
    expect(r.log).to.contain('SSH port 22/tcp is allowed only from 198.51.100.0/24 (an existing rule): kept as it is, not opened to anywhere');
    expect((await check(host, 'ufw-firewall', { allow: ['443/tcp'] })).code, 'the check agrees').to.equal(0);
    expect((await check(host, 'ufw-firewall', {})).code).to.equal(0);
  });

  it('an allow for the SSH port from one network only, while ufw is off, is not in force: the run opens 22/tcp to anywhere too', async () => {
    const host = t.host;
    await sshdReady(host);
    await startSshd(host);
    await sh(host, 'ufw allow from 198.51.100.0/24 to any port 22 proto tcp > /dev/null');
    const r = await runPreset(host, 'ufw-firewall', {});
    expect(r.ok, r.log).to.equal(true);
    expect(r.log).to.contain('was not in force (ufw was inactive)');
    expect(await sh(host, 'ufw show added')).to.contain('ufw allow 22/tcp');
    expect(await probe(host.address!, 22)).to.match(/^SSH-2\.0-/);
  });

  it('an allow for every port from one source or interface (allow in on lo) is no SSH rule: drifted, and the run opens SSH', async () => {
    const host = t.host;
    await sshdReady(host);
    await startSshd(host);
    await sh(host, 'ufw allow in on lo > /dev/null && ufw allow from 192.0.2.0/24 > /dev/null && ufw --force enable > /dev/null');
    expect(await probe(host.address!, 22)).to.equal('timeout');
    const drifted = await check(host, 'ufw-firewall', {});
    expect(drifted.code, drifted.stdout).to.equal(1);
    expect(drifted.stdout).to.contain('ufw does not allow SSH port 22/tcp');
    const r = await runPreset(host, 'ufw-firewall', {});
    expect(r.ok, r.log).to.equal(true);
    expect(await probe(host.address!, 22)).to.match(/^SSH-2\.0-/);
  });

  it('fail2ban: ignoreIp is written and never banned, the jail guards sshd\'s port 2222, bad addresses are refused', async () => {
    const host = t.host;
    await sshdReady(host);
    host.writeFile('/etc/ssh/sshd_config.d/port.conf', 'Port 2222\n');
    const params = { ignoreIp: ['203.0.113.7', '198.51.100.0/24', '2001:db8::/32'], maxRetry: 3 };
    const r = await runPreset(host, 'fail2ban', params);
    expect(r.ok, r.log).to.equal(true);
    const jail = host.readFile('/etc/fail2ban/jail.d/hyprbox.local');
    expect(jail).to.contain('\nignoreip = 127.0.0.1/8 ::1 203.0.113.7 198.51.100.0/24 2001:db8::/32\n');
    expect(jail).to.contain('\nport = 22,2222\n');
    expect(await sh(host, 'fail2ban-client get sshd ignoreip')).to.contain('203.0.113.7').and.to.contain('2001:db8::/32');
    expect((await check(host, 'fail2ban', params)).code).to.equal(0);
    expect((await check(host, 'fail2ban', { ...params, ignoreIp: [] })).code, 'another ignore list is drift').to.equal(1);

    // Wrong user names from the office and from elsewhere (what sshd logs; no syslog daemon in a test host).
    await sh(host, `for ip in 203.0.113.7 192.0.2.66; do for i in 1 2 3 4; do
        echo "$(date '+%b %e %H:%M:%S') $(hostname) sshd[$((4000 + i))]: Invalid user ubuntu from $ip port $((50000 + i))" >> /var/log/auth.log; done; done`);
    let status = '';
    for (let i = 0; i < 30 && !status.includes('192.0.2.66'); i++) {
      await new Promise((res) => setTimeout(res, 1000));
      status = await sh(host, 'fail2ban-client status sshd');
    }
    expect(status, 'the other address is banned').to.match(/Banned IP list:.*192\.0\.2\.66/);
    expect(status, 'the office is not').to.not.contain('203.0.113.7');

    for (const bad of [['1.2.3.4/33'], ['host.example'], ['1.2.3.4 5.6.7.8'], ['::ffff:1.2.3.4'], Array.from({ length: 65 }, (_, i) => `10.0.0.${i}`)]) {
      const b = await runPreset(host, 'fail2ban', { ignoreIp: bad });
      expect(b.steps.map((s) => [s.step, s.code]), b.log).to.deep.equal([['precheck', 2]]);
      expect(b.log).to.contain('ignoreIp');
    }
    expect(paramCauses(await preset('fail2ban'), { ignoreIp: ['host.example'] }, 'with')).to.have.length.greaterThan(0);
    expect(paramCauses(await preset('server-light'), { ignoreIp: ['1.2.3.4/33'] }, 'with')).to.have.length.greaterThan(0);
    expect(paramCauses(await preset('server-light'), { ignoreIp: ['2001:db8::1', '10.0.0.0/8'] }, 'with')).to.deep.equal([]);
  });

  it('fail2ban rollback puts the service back as it was: stopped and off at boot when the run started it, running when it ran', async () => {
    const host = t.host;
    await sshdReady(host);
    await sh(host, 'update-rc.d fail2ban disable > /dev/null');
    for (const step of ['precheck', 'apply'] as const) expect((await runStep(host, 'fail2ban', step, {}))!.code).to.equal(0);
    expect((await host.exec(['service', 'fail2ban', 'status'])).code, 'the run started fail2ban').to.equal(0);
    const rb = (await runStep(host, 'fail2ban', 'rollback', {}))!;
    expect(rb.code, rb.stdout + rb.stderr).to.equal(0);
    expect((await host.exec(['service', 'fail2ban', 'status'])).code, 'stopped again').to.not.equal(0);
    expect((await host.exec(['bash', '-c', 'ls /etc/rc2.d/S*fail2ban'])).code, 'not started at boot').to.not.equal(0);
    expect((await host.exec(['test', '-e', '/etc/fail2ban/jail.d/hyprbox.local'])).code).to.equal(1);

    // Running and on at boot before the run: the rollback keeps it so (with the old jail file).
    await sh(host, 'update-rc.d fail2ban enable > /dev/null && invoke-rc.d fail2ban start > /dev/null');
    for (const step of ['precheck', 'apply'] as const) expect((await runStep(host, 'fail2ban', step, { maxRetry: 3 }))!.code).to.equal(0);
    expect((await runStep(host, 'fail2ban', 'rollback', { maxRetry: 3 }))!.code).to.equal(0);
    expect((await host.exec(['service', 'fail2ban', 'status'])).code, 'still running').to.equal(0);
    expect((await host.exec(['bash', '-c', 'ls /etc/rc2.d/S*fail2ban'])).code, 'still on at boot').to.equal(0);
  });
});
