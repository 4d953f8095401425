// ssh-authorized-keys run DIRECTLY on Debian test hosts (each step's script on `bash -s`, params as environment
// variables, as the agent runs them: test/presets/run-preset.ts), against a user who owns their home and tries to
// turn the preset's root powers against the host (audit findings #4, #5, #8, #9, #15, #16). The preset runs as
// root. It must refuse symlinked or foreign-owned paths under the home, and it reads and writes the file as the
// user, so the kernel bounds what the user can reach. One fresh host per test.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { check, runPreset, runStep, type StepRun } from '../presets/run-preset.js';
import { useTestHost } from '../lib/testhost.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA alice@laptop';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB bob@desk';
const KEY_C = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq1Qx3hyprboxCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC ci@runner';
const P = 'ssh-authorized-keys';
const HOME = '/home/bob';
const FILE = `${HOME}/.ssh/authorized_keys`;
const TOP = '/var/backups/hyprbox/ssh-authorized-keys';

describe('ssh-authorized-keys against a user who controls their home (Debian test host)', function () {
  this.timeout(180_000);
  const t = useTestHost({ each: true });

  /** A shell script in the host, as root, that must succeed. */
  const sh = async (script: string): Promise<string> => {
    const r = await t.host.exec(['bash', '-euo', 'pipefail', '-c', script]);
    expect(r.code, `${script}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  /** A shell script as bob (an unprivileged user with a nologin shell) that must succeed; `input` on its stdin. */
  const bob = async (script: string, input?: string): Promise<string> => {
    const r = await t.host.exec(['runuser', '-u', 'bob', '--', 'bash', '-euo', 'pipefail', '-c', script], { input });
    expect(r.code, `${script}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const steps = (r: { steps: StepRun[] }): Array<[string, number]> => r.steps.map((s) => [s.step, s.code]);
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  /** Owner, group and mode of the paths (lstat) and the sha256 of the files among them: what must not move. */
  const snapshot = (...paths: string[]): Promise<string> => sh(`stat -c '%n %u:%g %a %F' ${paths.join(' ')}; sha256sum ${paths.join(' ')} 2>/dev/null || true`);
  /** bob's key file, written by bob, mode 600 (~/.ssh 700). */
  const bobFile = (content: string): Promise<string> => bob('install -d -m 700 ~/.ssh && cat > ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys', content);

  beforeEach(async () => {
    await sh('useradd -m -s /usr/sbin/nologin bob');
  });

  it('adds, removes, is idempotent and rolls back; the file is the user\'s (600, ~/.ssh 700), even for a nologin user', async () => {
    const params = { user: 'bob', keys: [KEY_A, KEY_B] };
    expect((await check(t.host, P, params)).code).to.equal(1);
    const r = await runPreset(t.host, P, params);
    expect(r.ok, r.log).to.equal(true);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n${KEY_B}\n`);
    expect(await sh(`stat -c '%U:%G %a' ${HOME}/.ssh ${FILE}`)).to.equal('bob:bob 700\nbob:bob 600\n');
    expect((await check(t.host, P, params)).code).to.equal(0);
    const again = await runPreset(t.host, P, params);
    expect(again.ok, again.log).to.equal(true);
    expect(again.log).to.contain('already holds the keys');
    // Retire B: matched by type and key, whatever its comment.
    const retire = { user: 'bob', keys: [KEY_A], remove: [KEY_B.replace('bob@desk', 'other-comment')] };
    expect((await check(t.host, P, retire)).code).to.equal(1);
    expect((await runPreset(t.host, P, retire)).ok).to.equal(true);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n`);
    expect((await check(t.host, P, retire)).code).to.equal(0);

    // Rollback (the runner's step after a failed verify) restores this run's change byte for byte, as bob's file.
    await bobFile(`${KEY_A}\n# a note bob keeps\ncommand="true",restrict ${KEY_C}`);
    const add = { user: 'bob', keys: [KEY_B] };
    expect((await runStep(t.host, P, 'apply', add))!.code).to.equal(0);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n# a note bob keeps\ncommand="true",restrict ${KEY_C}\n${KEY_B}\n`);
    const rb = (await runStep(t.host, P, 'rollback', add))!;
    expect(rb.code, rb.stderr).to.equal(0);
    expect(rb.stdout).to.contain(`restored ${FILE}`);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n# a note bob keeps\ncommand="true",restrict ${KEY_C}`);
    expect(await sh(`stat -c '%U:%G %a' ${FILE}`)).to.equal('bob:bob 600\n');

    // A rollback after a no-op apply changes nothing, although `last` still holds the earlier change.
    expect((await runStep(t.host, P, 'apply', { user: 'bob', keys: [KEY_A] }))!.stdout).to.contain('already holds the keys');
    const noop = (await runStep(t.host, P, 'rollback', { user: 'bob', keys: [KEY_A] }))!;
    expect(noop.stdout).to.contain('not changed by the last run');
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n# a note bob keeps\ncommand="true",restrict ${KEY_C}`);

    // Where there was no file, rollback removes the one apply made (as bob).
    await bob('rm -rf ~/.ssh');
    expect((await runStep(t.host, P, 'apply', add))!.code).to.equal(0);
    expect((await runStep(t.host, P, 'rollback', add))!.stdout).to.contain('there was none before');
    expect((await t.host.exec(['test', '-e', FILE])).code).to.equal(1);
  });

  it('#4: ~/.ssh symlinked to /etc or to /root/.ssh is refused; neither is touched', async () => {
    await sh(`install -d -m 700 /root/.ssh && printf '%s\\n' '${KEY_C}' > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys`);
    const before = await snapshot('/etc', '/etc/passwd', '/etc/shadow', '/root/.ssh', '/root/.ssh/authorized_keys');
    for (const target of ['/etc', '/root/.ssh']) {
      await bob(`rm -rf ~/.ssh && ln -s ${target} ~/.ssh`);
      const r = await runPreset(t.host, P, { user: 'bob', keys: [KEY_A] });
      expect(await snapshot('/etc', '/etc/passwd', '/etc/shadow', '/root/.ssh', '/root/.ssh/authorized_keys'), r.log).to.equal(before);
      expect(steps(r), r.log).to.deep.equal([['precheck', 1]]);
      expect(r.log).to.contain(`${HOME}/.ssh is a symlink (to ${target}), not a directory of bob's; nothing changed`);
      // Apply checks again on its own (the layout can change between the steps).
      const apply = (await runStep(t.host, P, 'apply', { user: 'bob', keys: [KEY_A] }))!;
      expect(apply.code, apply.stdout).to.equal(1);
      expect(apply.stderr).to.contain('is a symlink');
      expect((await check(t.host, P, { user: 'bob', keys: [KEY_A] })).code).to.equal(3);
      expect(await snapshot('/etc', '/etc/passwd', '/etc/shadow', '/root/.ssh', '/root/.ssh/authorized_keys')).to.equal(before);
      expect((await t.host.exec(['test', '-e', '/etc/authorized_keys'])).code).to.equal(1);
    }
    // The other unsafe layouts: a home that is a symlink, and a ~/.ssh or key file that is not bob's.
    const refused = async (why: string): Promise<void> => {
      const r = await runPreset(t.host, P, { user: 'bob', keys: [KEY_A] });
      expect(steps(r), r.log).to.deep.equal([['precheck', 1]]);
      expect(r.log).to.contain(why);
    };
    await sh(`rm -f ${HOME}/.ssh && install -d -m 700 ${HOME}/.ssh`);
    await refused(`${HOME}/.ssh belongs to root, not to bob`);
    await sh(`chown bob: ${HOME}/.ssh && printf '%s\\n' '${KEY_B}' > ${FILE}`);
    await refused(`${FILE} belongs to root, not to bob`);
    await sh(`rm -rf ${HOME}/.ssh && mv ${HOME} /srv/bob && ln -s /srv/bob ${HOME}`);
    await refused(`${HOME} is a symlink (to /srv/bob), not a directory of bob's`);
  });

  it('#9: authorized_keys symlinked to /etc/shadow is refused; shadow\'s content reaches nothing bob can read', async () => {
    await bob('install -d -m 700 ~/.ssh && ln -s /etc/shadow ~/.ssh/authorized_keys');
    const before = await snapshot('/etc/shadow');
    const shadowLine = (await sh('head -1 /etc/shadow')).trim();
    expect(shadowLine).to.match(/^root:/);
    // No file bob can read holds a line of shadow (bob's files, and every file under his home).
    const leaks = (): Promise<string> => sh(`find / -xdev \\( -user bob -o -path '${HOME}/*' \\) -type f -print0 | xargs -0 -r grep -lF -- ${JSON.stringify(shadowLine)} || true`);
    const r = await runPreset(t.host, P, { user: 'bob', keys: [KEY_A] });
    expect(await leaks(), r.log).to.equal('');
    expect(steps(r), r.log).to.deep.equal([['precheck', 1]]);
    expect(r.log).to.contain(`${FILE} is a symlink (to /etc/shadow), not a regular file of bob's; nothing changed`);
    const apply = (await runStep(t.host, P, 'apply', { user: 'bob', keys: [KEY_A] }))!;
    expect(apply.code).to.equal(1);
    expect(`${r.log}${apply.stdout}${apply.stderr}`).to.not.contain(shadowLine);
    expect(await snapshot('/etc/shadow')).to.equal(before);
    expect(await leaks()).to.equal('');
    expect((await t.host.exec(['runuser', '-u', 'bob', '--', 'cat', FILE])).code).to.not.equal(0);
  });

  it('#5: a user swapping symlinks to /etc/passwd and /etc/shadow during apply gets neither', async () => {
    // Root only ever lstat()s under the home. It creates, renames and reads there AS BOB, so a symlink that
    // bob swaps in at any moment leads root nowhere: bob's process can only open what bob may open. This
    // is the race the old apply lost (mv, then chown following the swapped name). Many applies while bob
    // swaps in a tight loop.
    const guarded = ['/etc', '/etc/passwd', '/etc/shadow'];
    const before = await snapshot(...guarded);
    const shadowLine = (await sh('head -1 /etc/shadow')).trim();
    await bobFile(`${KEY_C}\n`);
    const racer = t.host.exec(['runuser', '-u', 'bob', '--', 'bash', '-c', `cd ~/.ssh; n=0; while [ ! -e /tmp/stop-race ] && [ $n -lt 200000 ]; do n=$((n+1))
      printf '%s\\n' '${KEY_C}' > .f; mv -fT .f authorized_keys; ln -sfn /etc/passwd .l; mv -fT .l authorized_keys
      ln -sfn /etc/shadow .l; mv -fT .l authorized_keys; done; echo "$n swaps"`], { timeoutMs: 170_000 });
    // Until 5 applies got past the layout check and wrote (the others refused a symlink they saw), at most 80.
    const codes: number[] = [];
    for (let i = 0; i < 80 && codes.filter((c) => c === 0).length < 5; i++) {
      const keys = i % 2 ? [KEY_A] : [KEY_B];
      codes.push((await runStep(t.host, P, 'apply', { user: 'bob', keys }))!.code);
      if ((await snapshot(...guarded)) !== before) break;
    }
    await sh('touch /tmp/stop-race');
    const swaps = await racer;
    const tally = `apply exit codes ${codes.join(',')}; racer: ${swaps.stdout}${swaps.stderr}`;
    expect(await snapshot(...guarded), tally).to.equal(before);
    expect(codes, tally).to.include(0);
    const leaks = await sh(`find / -xdev -user bob -type f -print0 | xargs -0 -r grep -lF -- ${JSON.stringify(shadowLine)} || true`);
    expect(leaks, tally).to.equal('');
  });

  it('#8: a commented-out key is neither present nor left; nor is a key confined by command=, restrict or from=', async () => {
    await bobFile(`${KEY_A}\n# retired 2023, kept for reference: ${KEY_B}\n`);
    // Removing A and wanting B: B is really added, not taken as present from the comment.
    const swap = { user: 'bob', keys: [KEY_B], remove: [KEY_A] };
    expect((await check(t.host, P, swap)).code).to.equal(1);
    const r = await runPreset(t.host, P, swap);
    expect(r.ok, r.log).to.equal(true);
    expect(t.host.readFile(FILE)).to.equal(`# retired 2023, kept for reference: ${KEY_B}\n${KEY_B}\n`);
    expect((await check(t.host, P, swap)).code).to.equal(0);
    // Removing the only real key while a comment quotes another: refused, nothing changed.
    await bobFile(`${KEY_A}\n  # old: ${KEY_B}\n`);
    const last = { user: 'bob', keys: [], remove: [KEY_A] };
    const refused = await runPreset(t.host, P, last);
    expect(refused.ok).to.equal(false);
    expect(refused.log).to.contain('would leave bob without any key; nothing changed');
    expect((await runStep(t.host, P, 'apply', last))!.code).to.equal(1);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n  # old: ${KEY_B}\n`);
    // Nor is a key confined by its options (a forced command, an address): it is no login, so not "left".
    await bobFile(`${KEY_A}\ncommand="/usr/bin/backup",restrict ${KEY_B}\nfrom="192.0.2.1" ${KEY_C}\n`);
    const confined = await runPreset(t.host, P, last);
    expect(confined.ok).to.equal(false);
    expect(confined.log).to.contain('would leave bob without any key; nothing changed');
    // A commented retired key is not "present".
    await bobFile(`${KEY_A}\n# ${KEY_B}\n`);
    expect((await check(t.host, P, { user: 'bob', keys: [KEY_A], remove: [KEY_B] })).code).to.equal(0);
  });

  it('#15: an AuthorizedKeysFile that does not read ~/.ssh/authorized_keys is refused in the precheck; without sshd, as before', async () => {
    await bobFile(`${KEY_A}\n`);
    const params = { user: 'bob', keys: [KEY_B], remove: [KEY_A] };
    const conf = '/etc/ssh/sshd_config.d/10-keys.conf';
    const refused = async (): Promise<void> => {
      const r = await runPreset(t.host, P, params);
      expect(steps(r), r.log).to.deep.equal([['precheck', 1]]);
      expect(r.log).to.contain(`sshd does not read ${FILE} for bob`);
      expect(r.log).to.contain('nothing changed');
      const c = await check(t.host, P, params);
      expect(c.code, c.stdout).to.equal(3);
      expect(t.host.readFile(FILE)).to.equal(`${KEY_A}\n`);
    };
    t.host.writeFile(conf, 'AuthorizedKeysFile /etc/ssh/authorized_keys/%u\n');
    await refused();
    t.host.writeFile(conf, 'Match User bob\n  AuthorizedKeysFile .ssh/authorized_keys2\n');
    await refused();
    // Also with the host's own keys (above, sshd -T ran with a throwaway one: this host's sshd has none).
    await sh('ssh-keygen -A');
    await refused();
    // Among the files sshd reads, in any spelling that names it: accepted.
    t.host.writeFile(conf, 'AuthorizedKeysFile /etc/ssh/authorized_keys/%u /home/%u/.ssh/authorized_keys\n');
    const ok = await runPreset(t.host, P, params);
    expect(ok.ok, ok.log).to.equal(true);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_B}\n`);
    // No sshd on the host: nothing to ask, the file is managed as before.
    t.host.writeFile(conf, 'AuthorizedKeysFile /etc/ssh/authorized_keys/%u\n');
    await sh('mv /usr/sbin/sshd /usr/sbin/sshd.aside');
    const without = await runPreset(t.host, P, { user: 'bob', keys: [KEY_C] });
    expect(without.ok, without.log).to.equal(true);
    expect(t.host.readFile(FILE)).to.equal(`${KEY_B}\n${KEY_C}\n`);
  });

  it('#16: refused and no-op runs leave `last` at the previous real change', async () => {
    await bobFile(`${KEY_A}\n`);
    expect((await runPreset(t.host, P, { user: 'bob', keys: [KEY_A, KEY_B] })).ok).to.equal(true);
    // `last` and the run directories (`applied`, this run's own change, is gone after a refused or no-op apply).
    const backups = (): Promise<string> => sh(`readlink ${TOP}/last; find ${TOP} -mindepth 1 -maxdepth 1 -type d | sort`);
    const real = await backups();
    // Refused: the precheck, and apply on its own.
    const none = { user: 'bob', keys: [], remove: [KEY_A, KEY_B] };
    const r = await runPreset(t.host, P, none);
    expect(r.log).to.contain('would leave bob without any key');
    expect(await backups(), r.log).to.equal(real);
    expect((await runStep(t.host, P, 'apply', none))!.code).to.equal(1);
    expect(await backups()).to.equal(real);
    expect(steps(r), r.log).to.deep.equal([['precheck', 1]]);
    // A no-op run.
    expect((await runPreset(t.host, P, { user: 'bob', keys: [KEY_B] })).log).to.contain('already holds the keys');
    expect(await backups()).to.equal(real);
    expect(sha(t.host.readFile(FILE))).to.equal(sha(`${KEY_A}\n${KEY_B}\n`));
    // `last` holds the file as it was before the real change.
    expect(t.host.readFile(`${(await sh(`readlink ${TOP}/last`)).trim()}/bob.keys`)).to.equal(`${KEY_A}\n`);
    // A write that fails after all (bob's home is not writable to bob) takes its run directory back.
    await bob('rm -rf ~/.ssh && chmod 555 ~');
    const failed = await runPreset(t.host, P, { user: 'bob', keys: [KEY_A] });
    expect(steps(failed), failed.log).to.deep.equal([['precheck', 0], ['apply', 1]]);
    expect(failed.log).to.contain(`bob could not write ${FILE}`);
    expect(await backups()).to.equal(real);
  });
});
