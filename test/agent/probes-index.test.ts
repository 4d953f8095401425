import { expect } from 'chai';
import { createHostAccess, diskProbe, packagesProbe, probesWatching, runProbes, servicesProbe, sshdProbe, ok } from '@hyprbox/agent/probes/index';
import type { Probe } from '@hyprbox/agent/probes/index';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureRoot } from './probes-fixtures.js';

const fake = (name: string, collect: Probe['collect'], watches: Probe['watches'] = () => Promise.resolve([])): Probe => ({ name, collect, watches });

describe('probes: runProbes and probesWatching', () => {
  let fx: FixtureRoot;
  beforeEach(async () => {
    fx = await makeRoot({ 'etc/ssh/sshd_config': 'PasswordAuthentication no\n', 'proc/mounts': '' });
  });
  afterEach(() => fx.cleanup());

  it('merges fields; a probe that throws becomes <name>.error unknown, the others are unaffected', async () => {
    const host = createHostAccess(fx.root);
    const r = await runProbes([
      fake('a', () => Promise.resolve({ 'a.x': ok(1), 'shared.y': ok('from a') })),
      fake('boom', () => Promise.reject(new Error('kaboom'))),
      fake('sync', () => {
        throw new TypeError('not even async');
      }),
      fake('b', () => Promise.resolve({ 'b.x': ok(2), 'shared.y': ok('from b') })),
      fake('nothing', () => Promise.resolve(undefined as unknown as Record<string, never>)),
    ], host);
    expect(r).to.deep.equal({
      'a.x': { state: 'ok', value: 1 },
      'shared.y': { state: 'ok', value: 'from a' },
      'boom.error': { state: 'unknown', reason: 'probe boom failed: kaboom' },
      'sync.error': { state: 'unknown', reason: 'probe sync failed: not even async' },
      'b.x': { state: 'ok', value: 2 },
      'nothing.error': { state: 'unknown', reason: 'probe nothing returned no result' },
    });
  });

  it('runs the real probes together against a fixture root', async () => {
    const r = await runProbes([sshdProbe, diskProbe, packagesProbe(['ufw']), servicesProbe(['ssh'])], createHostAccess(fx.root));
    expect(r['sshd.passwordAuthentication']).to.deep.equal({ state: 'ok', value: 'no' });
    expect(r['disk.mounts']).to.deep.equal({ state: 'ok', value: [] });
    expect(r['packages.installed:ufw']!.state).to.equal('unknown');
    expect(r['services.manager']).to.deep.equal({ state: 'ok', value: 'none' });
    expect(r['services.active:ssh']!.state).to.equal('unknown');
  });

  it('maps each watched file to the probes to re-run; a failing watches() is left out', async () => {
    const a = fake('a', () => Promise.resolve({}), () => Promise.resolve(['/etc/x', '/etc/y', '/etc/x']));
    const b = fake('b', () => Promise.resolve({}), () => Promise.resolve(['/etc/y']));
    const c = fake('c', () => Promise.resolve({}), () => Promise.reject(new Error('no')));
    const map = await probesWatching([a, b, c, sshdProbe, packagesProbe(['ufw'])], createHostAccess(fx.root));
    expect([...map.entries()].map(([f, ps]) => [f, ps.map((p) => p.name)])).to.deep.equal([
      ['/etc/x', ['a']],
      ['/etc/y', ['a', 'b']],
      ['/etc/ssh/sshd_config', ['sshd']],
      ['/root/.ssh/authorized_keys', ['sshd']],
      ['/var/lib/dpkg/status', ['packages']],
    ]);
  });
});
