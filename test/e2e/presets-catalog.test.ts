// The preset catalog without a host: presets/*.yaml is what presets/src builds, every preset loads the way
// the controller syncs it, every script of every preset passes shellcheck, and shell-meaningful strings in
// any string param are refused at admission (the controller's params check, a 422 on a NodeProfile).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { paramCauses } from '@hyprbox/controller/catalog/params';
import { buildCatalog } from '../presets/catalog-build.js';
import { presets } from '../presets/run-preset.js';
import { repoPath } from '../lib/paths.js';

const STEPS = ['check', 'precheck', 'apply', 'verify', 'rollback'] as const;
const INJECTIONS = ['x; touch /root/pwned', 'x$(touch /root/pwned)', 'x`touch /root/pwned`', 'x\ntouch /root/pwned', "x' ; touch /root/pwned; '", 'x" ; touch /root/pwned; "'];

describe('the preset catalog', function () {
  this.timeout(120_000);

  it('is built from presets/src (run node test/dist/presets/catalog-build.js after editing it)', () => {
    for (const [file, text] of buildCatalog()) expect(readFileSync(repoPath('presets', file), 'utf8'), `presets/${file}`).to.equal(text);
  });

  it('holds every preset of issue #6 with its risk, each with a check, apply and verify, loading without errors', async () => {
    const byName = await presets();
    const risks = Object.fromEntries([...byName].map(([n, p]) => [n, (p.spec as { risk: string }).risk]));
    expect(risks).to.deep.equal({
      'apt-security-upgrade': 'CONFIRM', 'docker-prune': 'CONFIRM', fail2ban: 'CONFIRM', 'monitoring-stack': 'CONFIRM', 'postgres-backup': 'CONFIRM',
      'restore-drill': 'SAFE', 'server-light': 'CONFIRM', 'ssh-authorized-keys': 'CONFIRM', 'ssh-hardening': 'DANGEROUS', 'tls-renew': 'CONFIRM',
      'ufw-firewall': 'CONFIRM', 'unattended-upgrades': 'CONFIRM',
    });
    for (const [name, p] of byName) {
      const spec = p.spec as Record<string, { script?: string } | undefined>;
      for (const step of ['check', 'apply', 'verify'] as const) expect(spec[step]?.script, `${name}.${step}`).to.be.a('string');
    }
  });

  it('passes shellcheck in every script of every preset', async function () {
    if (spawnSync('shellcheck', ['--version']).status !== 0) throw new Error("shellcheck is missing: run 'apt-get install -y shellcheck' (test/run.sh does)");
    const problems: string[] = [];
    for (const [name, p] of await presets()) {
      for (const step of STEPS) {
        const script = (p.spec as Record<string, { script?: string } | undefined>)[step]?.script;
        if (!script) continue;
        // SC2317 (unreachable command) flags the shared library functions a step does not call.
        const r = spawnSync('shellcheck', ['--shell=bash', '--exclude=SC2317', '-'], { input: script, encoding: 'utf8' });
        if (r.status !== 0) problems.push(`${name}/${step}:\n${r.stdout}${r.stderr}`);
      }
    }
    expect(problems.join('\n')).to.equal('');
  });

  it('refuses shell-meaningful strings in every string param at admission', async () => {
    let tried = 0;
    for (const [name, p] of await presets()) {
      const spec = p.spec as { params?: { properties?: Record<string, { type?: string; items?: { type?: string } }> }; secretParams?: string[] };
      for (const [param, schema] of Object.entries(spec.params?.properties ?? {})) {
        const secret = spec.secretParams?.includes(param) ?? false;
        for (const bad of INJECTIONS) {
          const value = schema.type === 'array' ? [bad] : schema.type === 'string' ? bad : undefined;
          if (value === undefined) continue;
          tried++;
          const causes = paramCauses(p, { [param]: value }, 'spec.states[0].with');
          const at = causes.filter((c) => c.field?.startsWith(`spec.states[0].with.${param}`));
          expect(at, `${name}.${param} = ${JSON.stringify(value)}${secret ? ' (secret)' : ''}`).to.have.length.greaterThan(0);
        }
      }
    }
    expect(tried).to.be.greaterThan(50);
  });
});
