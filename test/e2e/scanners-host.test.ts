// The scanners end to end: the real agent in a Debian test host (chroot + its own network namespace, no
// systemd) against a real controller. A host set up with several problems (password logins, a world-writable
// file in /etc, an expiring and an unreadable certificate, sudo without a password) shows them as Findings
// with the right keys and severities and the recommendation from a preset's resolves; a Finding is not
// rewritten on every scan; fixing a problem inside the host resolves its Finding at the next scan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findingName } from '@hyprbox/crds';
import type { Finding, Node } from '@hyprbox/crds';
import { startAgentInHost } from '../lib/agent.js';
import type { AgentInHost } from '../lib/agent.js';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { useTestHost } from '../lib/testhost.js';
import { until } from '../lib/wait.js';
import { makeCertPem } from '../agent/certs.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';
const NODE = 'th-scan';
const DAY = 86_400_000;

describe('scanners in a Debian test host', function () {
  this.timeout(180_000);
  const t = useTestHost({ network: true, name: NODE });
  let c: TestController;
  let agent: AgentInHost | undefined;
  const emptyCatalog = mkdtempSync(join(tmpdir(), 'hyprbox-no-presets-'));

  const finding = async (type: string, key: string): Promise<Finding | undefined> => {
    const r = await c.json<Finding>('GET', `${NS}/findings/${findingName(NODE, type, key)}`);
    return r.status === 200 ? r.body : undefined;
  };
  const phase = async (type: string, key: string): Promise<string | undefined> => (await finding(type, key))?.status?.phase;
  const scans = async (): Promise<string | undefined> => (await c.json<Node>('GET', `${NS}/nodes/${NODE}`)).body.status?.probes?.['audit.worldWritableEtc']?.observedAt;

  before(async function () {
    this.timeout(30 * 60_000);
    const host = t.host;
    c = await startTestController('sqlite', ['--listen', `${host.hostAddress}:0`, '--presets-dir', emptyCatalog]);
    const preset = (name: string, resolves: string[]) => c.json('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name }, spec: { apply: { script: 'true' }, resolves } });
    expect((await preset('test-ssh-fix', ['ssh.password-auth-enabled'])).status).to.equal(201);
    // The problems, made inside the host before the agent starts.
    host.writeFile('/etc/ssh/sshd_config.d/50-test.conf', 'PasswordAuthentication yes\n');
    host.writeFile('/etc/hb-open.conf', 'anyone may write this\n');
    expect((await host.exec(['chmod', '0666', '/etc/hb-open.conf'])).code).to.equal(0);
    host.writeFile('/etc/ssl/hb/site.crt', await makeCertPem('site.test', new Date(Date.now() + 3 * DAY + 3_600_000)));
    host.writeFile('/etc/ssl/hb/broken.crt', 'not a certificate\n');
    host.writeFile('/etc/sudoers.d/90-deploy', 'deploy ALL=(ALL) NOPASSWD:ALL\n', 0o440);
    agent = await startAgentInHost(host, c, { nodeName: NODE, env: { HYPRBOX_SCAN_INTERVAL: '2s', HYPRBOX_TLS_PATHS: '/etc/ssl/hb/*.crt' } });
  });
  after(async () => {
    await agent?.stop();
    await c?.stop();
    rmSync(emptyCatalog, { recursive: true, force: true });
  });

  it('reports the problems as findings keyed (node, type, key) with their severities', async () => {
    const expected: Array<[string, string, string]> = [
      ['ssh.password-auth-enabled', 'sshd:/etc/ssh/sshd_config', 'CRITICAL'],
      ['audit.world-writable-etc', '/etc', 'WARN'],
      ['tls.expiring', '/etc/ssl/hb/site.crt', 'CRITICAL'],
      ['tls.unreadable', '/etc/ssl/hb/broken.crt', 'INFO'],
      ['audit.sudo-nopasswd', 'sudoers', 'WARN'],
      // Not installed in the test host: down for certain, whatever the service manager (there is none).
      ['audit.fail2ban-down', 'fail2ban', 'WARN'],
      ['audit.no-auditd', 'auditd', 'INFO'],
      ['audit.no-automatic-updates', 'unattended-upgrades', 'INFO'],
      // The host's only address is 10.x: WARN, not the CRITICAL of a public host.
      ['audit.ufw-inactive', 'ufw', 'WARN'],
    ];
    for (const [type, key, severity] of expected) {
      await until(`${type} ${key}`, async () => (await phase(type, key)) === 'Open', 90_000);
      const f = (await finding(type, key))!;
      expect(f.spec, type).to.deep.include({ nodeName: NODE, type, key, severity, source: 'scanner' });
      expect(f.status!.firstSeen, type).to.be.a('string');
    }
    expect((await finding('tls.expiring', '/etc/ssl/hb/site.crt'))!.spec.message).to.match(/expires in 3 day\(s\)/);
    expect((await finding('audit.world-writable-etc', '/etc'))!.spec.message).to.contain('/etc/hb-open.conf');
    // The controller recommends the preset whose spec.resolves names the type.
    // The test host's root is locked by debootstrap: no finding, and no disk-encryption verdict without /sys.
    expect(await finding('audit.root-password-set', 'root')).to.equal(undefined);
    expect(await finding('audit.no-disk-encryption', 'disks')).to.equal(undefined);
    await until('the recommendation', async () => (await finding('ssh.password-auth-enabled', 'sshd:/etc/ssh/sshd_config'))?.spec.recommendation?.preset === 'test-ssh-fix');
  });

  it('does not rewrite a finding on every scan', async () => {
    const before = (await finding('tls.unreadable', '/etc/ssl/hb/broken.crt'))!;
    // Three more full scans (each refreshes the audit probe's observation time).
    for (let i = 0; i < 3; i++) {
      const seen = await scans();
      await until('another full scan', async () => (await scans()) !== seen, 30_000);
    }
    const after = (await finding('tls.unreadable', '/etc/ssl/hb/broken.crt'))!;
    expect(after.metadata!.resourceVersion).to.equal(before.metadata!.resourceVersion);
  });

  it('resolves a finding when the next scan no longer sees it', async () => {
    expect((await t.host.exec(['chmod', 'o-w', '/etc/hb-open.conf'])).code).to.equal(0);
    await until('audit.world-writable-etc resolved', async () => (await phase('audit.world-writable-etc', '/etc')) === 'Resolved', 60_000);
    const f = (await finding('audit.world-writable-etc', '/etc'))!;
    expect(f.status!.history!.at(-1)).to.deep.include({ phase: 'Resolved', by: `hyprnode@${NODE}`, message: 'no longer detected by the scan' });
    t.host.writeFile('/etc/ssh/sshd_config.d/50-test.conf', 'PasswordAuthentication no\n');
    await until('ssh.password-auth-enabled resolved', async () => (await phase('ssh.password-auth-enabled', 'sshd:/etc/ssh/sshd_config')) === 'Resolved', 60_000);
    // What was not fixed stays open.
    expect(await phase('tls.expiring', '/etc/ssl/hb/site.crt')).to.equal('Open');
    expect(await phase('audit.sudo-nopasswd', 'sudoers')).to.equal('Open');
  });

  it('reopens a resolved finding when the problem comes back', async () => {
    expect((await t.host.exec(['chmod', 'o+w', '/etc/hb-open.conf'])).code).to.equal(0);
    await until('reopened', async () => (await phase('audit.world-writable-etc', '/etc')) === 'Open', 60_000);
    const f = (await finding('audit.world-writable-etc', '/etc'))!;
    expect(f.status!.resolvedAt).to.equal(undefined);
    expect(f.status!.history!.map((h) => h.phase)).to.deep.equal(['Open', 'Resolved', 'Open']);
  });
});
