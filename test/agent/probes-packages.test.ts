import { expect } from 'chai';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import { DPKG_QUERY_ARGS, packagesProbe, parseDpkgQuery } from '@hyprbox/agent/probes/packages';
import type { HostAccess } from '@hyprbox/agent/probes/types';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureRoot } from './probes-fixtures.js';

const DPKG_OUTPUT = [
  'adduser\t3.134\tinstalled',
  'openssh-server\t1:9.2p1-2+deb12u3\tinstalled',
  'apache2\t2.4.62-1~deb12u1\tconfig-files', // removed, config left: not installed
  'libc6\t2.36-9+deb12u7\tinstalled',
  'libc6\t2.36-9+deb12u7\tnot-installed', // the i386 instance of a Multi-Arch: same package
  'man-db\t2.11.2-2\ttriggers-pending',
  'fail2ban\t1.0.2-2\thalf-configured',
  'broken line without tabs',
  '',
].join('\n');

/** A host whose commands answer from a table (the file side is a fixture root). */
function stubRun(base: HostAccess, answer: (cmd: string, args: string[]) => { exitCode?: number; stdout?: string; stderr?: string; error?: string }): HostAccess {
  return {
    ...base,
    run: (cmd, args) => {
      const a = answer(cmd, args);
      return Promise.resolve({ stdout: '', stderr: '', ...a });
    },
  };
}

describe('probes: packages', () => {
  let fx: FixtureRoot;
  beforeEach(async () => {
    fx = await makeRoot({});
  });
  afterEach(() => fx.cleanup());

  it('parses dpkg-query output: installed states, config-files, multi-arch duplicates', () => {
    const db = parseDpkgQuery(DPKG_OUTPUT);
    expect(Object.fromEntries(db)).to.deep.equal({
      adduser: { version: '3.134', status: 'installed', installed: true },
      'openssh-server': { version: '1:9.2p1-2+deb12u3', status: 'installed', installed: true },
      apache2: { version: '2.4.62-1~deb12u1', status: 'config-files', installed: false },
      libc6: { version: '2.36-9+deb12u7', status: 'installed', installed: true },
      'man-db': { version: '2.11.2-2', status: 'triggers-pending', installed: true },
      fail2ban: { version: '1.0.2-2', status: 'half-configured', installed: false },
    });
    expect(DPKG_QUERY_ARGS).to.deep.equal(['-W', '-f', '${Package}\\t${Version}\\t${db:Status-Status}\\n']);
  });

  it('a package absent from a successful query is not installed — a real answer', async () => {
    let asked: string[] = [];
    const host = stubRun(createHostAccess(fx.root), (cmd, args) => {
      asked = [cmd, ...args];
      return { exitCode: 0, stdout: DPKG_OUTPUT };
    });
    const r = await packagesProbe(['openssh-server', 'apache2', 'ufw']).collect(host);
    expect(asked).to.deep.equal(['dpkg-query', ...DPKG_QUERY_ARGS]);
    expect(r).to.deep.equal({
      'packages.installed:openssh-server': { state: 'ok', value: true },
      'packages.version:openssh-server': { state: 'ok', value: '1:9.2p1-2+deb12u3' },
      'packages.installed:apache2': { state: 'ok', value: false },
      'packages.version:apache2': { state: 'ok', value: null },
      'packages.installed:ufw': { state: 'ok', value: false },
      'packages.version:ufw': { state: 'ok', value: null },
    });
  });

  it('dpkg-query missing (a root without the binary, run under chroot): unknown, never "not installed"', async () => {
    const r = await packagesProbe(['openssh-server']).collect(createHostAccess(fx.root));
    expect(Object.keys(r)).to.deep.equal(['packages.installed:openssh-server', 'packages.version:openssh-server']);
    for (const f of Object.values(r)) {
      expect(f.state).to.equal('unknown');
      expect(f.state === 'unknown' && f.reason).to.match(/^dpkg-query could not run: chroot: /);
    }
  });

  it('dpkg-query failing: unknown with its message', async () => {
    const host = stubRun(createHostAccess(fx.root), () => ({ exitCode: 2, stderr: 'dpkg-query: error: failed to open package info file\n' }));
    expect((await packagesProbe(['ufw']).collect(host))['packages.installed:ufw']).to.deep.equal({
      state: 'unknown', reason: 'dpkg-query exited 2: dpkg-query: error: failed to open package info file',
    });
  });

  it('watches the dpkg status file', async () => {
    expect(await packagesProbe(['x']).watches(createHostAccess(fx.root))).to.deep.equal(['/var/lib/dpkg/status']);
  });
});
