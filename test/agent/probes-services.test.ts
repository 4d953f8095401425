import { expect } from 'chai';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import { detectServiceManager, lsbStatus, NO_MANAGER, parseIsActive, parseIsEnabled, servicesProbe } from '@hyprbox/agent/probes/services';
import type { HostAccess } from '@hyprbox/agent/probes/types';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureEntry, FixtureRoot } from './probes-fixtures.js';

type Answer = { exitCode?: number; stdout?: string; stderr?: string; error?: string };

function stubRun(base: HostAccess, table: Record<string, Answer>, asked: string[] = []): HostAccess {
  return {
    ...base,
    run: (cmd, args) => {
      const key = [cmd, ...args].join(' ');
      asked.push(key);
      const a = table[key] ?? { error: `unexpected command ${key}` };
      return Promise.resolve({ stdout: '', stderr: '', ...a });
    },
  };
}

describe('probes: services', () => {
  let fx: FixtureRoot | undefined;
  const root = async (files: Record<string, FixtureEntry>): Promise<HostAccess> => {
    fx = await makeRoot(files);
    return createHostAccess(fx.root);
  };
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('parses systemctl words', () => {
    expect(['active\n', 'inactive\n', 'failed', 'activating\n', ' deactivating \n', 'bogus', ''].map(parseIsActive)).to.deep.equal([
      'active', 'inactive', 'failed', 'activating', 'deactivating', null, null,
    ]);
    expect(['enabled\n', 'disabled\n', 'masked', 'static', 'not-found', 'indirect', 'Failed to get unit file state'].map(parseIsEnabled)).to.deep.equal([
      'enabled', 'disabled', 'masked', 'static', 'not-found', 'indirect', null,
    ]);
    expect([0, 1, 2, 3, 4, 150].map(lsbStatus)).to.deep.equal(['active', 'failed', 'failed', 'inactive', null, null]);
  });

  it('no /run/systemd/system (a container, a chroot test host): manager none, services unknown, never inactive', async () => {
    const base = await root({ 'etc/init.d/ssh': '#!/bin/sh\n', 'usr/bin/systemctl': '' });
    const asked: string[] = [];
    const r = await servicesProbe(['ssh', 'cron']).collect(stubRun(base, {}, asked));
    expect(r).to.deep.equal({
      'services.manager': { state: 'ok', value: 'none' },
      'services.active:ssh': { state: 'unknown', reason: NO_MANAGER },
      'services.enabled:ssh': { state: 'unknown', reason: NO_MANAGER },
      'services.active:cron': { state: 'unknown', reason: NO_MANAGER },
      'services.enabled:cron': { state: 'unknown', reason: NO_MANAGER },
    });
    expect(NO_MANAGER).to.equal('no service manager to ask (systemd is not running)');
    expect(asked).to.deep.equal([]);
  });

  it('systemd booted: asks systemctl per service and reports its words', async () => {
    const base = await root({ 'run/systemd/system': { dir: true } });
    expect(await detectServiceManager(base)).to.equal('systemd');
    const host = stubRun(base, {
      'systemctl is-active -- ssh': { exitCode: 0, stdout: 'active\n' },
      'systemctl is-enabled -- ssh': { exitCode: 0, stdout: 'enabled\n' },
      'systemctl is-active -- cron': { exitCode: 3, stdout: 'inactive\n' },
      'systemctl is-enabled -- cron': { exitCode: 1, stdout: 'masked\n' },
      'systemctl is-active -- ghost': { exitCode: 3, stdout: 'inactive\n' },
      'systemctl is-enabled -- ghost': { exitCode: 4, stdout: 'not-found\n', stderr: 'Failed to get unit file state for ghost.service: No such file or directory\n' },
      'systemctl is-active -- bus': { exitCode: 1, stderr: 'Failed to connect to bus: No such file or directory\n' },
      'systemctl is-enabled -- bus': { error: 'systemctl timed out after 10000 ms' },
    });
    const r = await servicesProbe(['ssh', 'cron', 'ghost', 'bus', 'bad;name']).collect(host);
    expect(r).to.deep.equal({
      'services.manager': { state: 'ok', value: 'systemd' },
      'services.active:ssh': { state: 'ok', value: 'active' },
      'services.enabled:ssh': { state: 'ok', value: 'enabled' },
      'services.active:cron': { state: 'ok', value: 'inactive' },
      'services.enabled:cron': { state: 'ok', value: 'masked' },
      'services.active:ghost': { state: 'ok', value: 'inactive' },
      'services.enabled:ghost': { state: 'ok', value: 'not-found' },
      'services.active:bus': { state: 'unknown', reason: 'systemctl is-active exited 1 without a state: Failed to connect to bus: No such file or directory' },
      'services.enabled:bus': { state: 'unknown', reason: 'systemctl is-enabled could not run: systemctl timed out after 10000 ms' },
      'services.active:bad;name': { state: 'unknown', reason: 'not a valid service name: "bad;name"' },
      'services.enabled:bad;name': { state: 'unknown', reason: 'not a valid service name: "bad;name"' },
    });
  });

  it('systemd marker but systemctl cannot run (chroot without it): unknown, not inactive', async () => {
    const host = await root({ 'run/systemd/system': { dir: true } });
    const r = await servicesProbe(['ssh']).collect(host);
    expect(r['services.manager']).to.deep.equal({ state: 'ok', value: 'systemd' });
    for (const f of ['services.active:ssh', 'services.enabled:ssh']) {
      expect(r[f]!.state, f).to.equal('unknown');
      expect(r[f]!.state === 'unknown' && r[f]!.reason, f).to.match(/^systemctl is-(active|enabled) could not run: chroot: /);
    }
  });

  it('sysvinit (/run/initctl): LSB status exit codes and rc?.d start links', async () => {
    const base = await root({
      'run/initctl': '',
      'etc/init.d/ssh': '#!/bin/sh\n',
      'etc/init.d/cron': '#!/bin/sh\n',
      'etc/init.d/odd': '#!/bin/sh\n',
      'etc/rc2.d/S01ssh': { symlink: '../init.d/ssh' },
      'etc/rc2.d/K01cron': { symlink: '../init.d/cron' },
    });
    expect(await detectServiceManager(base)).to.equal('sysvinit');
    const asked: string[] = [];
    const host = stubRun(base, {
      'service ssh status': { exitCode: 0 },
      'service cron status': { exitCode: 3 },
      'service odd status': { exitCode: 4 },
    }, asked);
    const r = await servicesProbe(['ssh', 'cron', 'odd', 'nginx']).collect(host);
    expect(r).to.deep.equal({
      'services.manager': { state: 'ok', value: 'sysvinit' },
      'services.active:ssh': { state: 'ok', value: 'active' },
      'services.enabled:ssh': { state: 'ok', value: 'enabled' },
      'services.active:cron': { state: 'ok', value: 'inactive' },
      'services.enabled:cron': { state: 'ok', value: 'disabled' },
      'services.active:odd': { state: 'unknown', reason: 'service odd status: state unknown (LSB exit 4)' },
      'services.enabled:odd': { state: 'ok', value: 'disabled' },
      'services.active:nginx': { state: 'ok', value: 'inactive' },
      'services.enabled:nginx': { state: 'ok', value: 'not-found' },
    });
    expect(asked.sort()).to.deep.equal(['service cron status', 'service odd status', 'service ssh status']);
  });
});
