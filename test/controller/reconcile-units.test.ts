// Table-driven tests of the reconciler's pure parts, with an injected clock (nothing sleeps).
import { expect } from 'chai';
import { evaluateCheck, satisfies } from '@hyprbox/controller/reconcilers/check';
import { approvalsNeeded, autoApproved } from '@hyprbox/controller/reconcilers/runs';
import { durationMs, windowState } from '@hyprbox/controller/reconcilers/windows';
import { WorkQueue } from '@hyprbox/controller/reconcile/queue';
import { rolloutPaused } from '@hyprbox/controller/reconcilers/nodeprofile';
import type { Clock } from '@hyprbox/controller/reconcile/queue';

/** A clock whose time only moves when the test says so. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; dead: boolean }> = [];
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn, dead: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => void ((h as { dead: boolean }).dead = true),
    advance(ms) {
      now += ms;
      for (const t of timers.filter((x) => !x.dead && x.at <= now).sort((a, b) => a.at - b.at)) {
        t.dead = true;
        t.fn();
      }
    },
  };
}

describe('reconciler units', () => {
  describe('check evaluation', () => {
    const ok = (value: unknown) => ({ state: 'ok', value, observedAt: '2026-01-01T00:00:00Z' });
    const cases: Array<[string, Record<string, unknown>, Record<string, { state: string; value?: unknown; reason?: string }> | undefined, string]> = [
      ['literal equal', { 'sshd.passwordAuthentication': 'no' }, { 'sshd.passwordAuthentication': ok('no') }, 'compliant'],
      ['literal differs', { 'sshd.passwordAuthentication': 'no' }, { 'sshd.passwordAuthentication': ok('yes') }, 'drifted'],
      ['unknown probe is unknown, never drifted', { 'sshd.passwordAuthentication': 'no' }, { 'sshd.passwordAuthentication': { state: 'unknown', reason: 'unreadable' } }, 'unknown'],
      ['missing probe is unknown', { 'sshd.port': [22] }, {}, 'unknown'],
      ['no report at all', { 'a': 1 }, undefined, 'unknown'],
      ['in', { 'sshd.permitRootLogin': { in: ['no', 'prohibit-password'] } }, { 'sshd.permitRootLogin': ok('no') }, 'compliant'],
      ['notIn', { 'sshd.permitRootLogin': { notIn: ['yes'] } }, { 'sshd.permitRootLogin': ok('yes') }, 'drifted'],
      ['max', { 'disk.usage:/': { max: 80 } }, { 'disk.usage:/': ok(91) }, 'drifted'],
      ['min', { 'sshd.authorizedKeys': { min: 1 } }, { 'sshd.authorizedKeys': ok(2) }, 'compliant'],
      ['deep equal', { 'sshd.port': [22] }, { 'sshd.port': ok([22]) }, 'compliant'],
    ];
    for (const [name, probes, reported, want] of cases) {
      it(name, () => expect(evaluateCheck({ name: 'p', check: { probes } }, reported as never).state).to.equal(want));
    }
    it('a check script is read from check.<preset>', () => {
      expect(evaluateCheck({ name: 'motd', check: { script: 'x' } }, { 'check.motd': ok('drifted') } as never).state).to.equal('drifted');
      expect(evaluateCheck({ name: 'motd', check: { script: 'x' } }, {} as never).state).to.equal('unknown');
      expect(evaluateCheck({ name: 'none' }, {} as never)).to.deep.equal({ state: 'unknown', reason: 'preset none declares no check' });
    });
    it('an operator object with several keys is a literal', () => expect(satisfies({ min: 1, max: 2 }, { min: 1, max: 2 })).to.equal(true));
  });

  describe('risk policy', () => {
    const table: Array<[string | undefined, Record<string, unknown>, boolean]> = [
      ['SAFE', { mode: 'auto', autoApproveUpTo: 'SAFE' }, true],
      ['CONFIRM', { mode: 'auto', autoApproveUpTo: 'SAFE' }, false],
      ['CONFIRM', { mode: 'auto', autoApproveUpTo: 'CONFIRM' }, true],
      ['DANGEROUS', { mode: 'auto', autoApproveUpTo: 'CONFIRM' }, false],
      [undefined, { mode: 'auto', autoApproveUpTo: 'SAFE' }, false], // unset risk is CONFIRM: fail-safe
      ['SAFE', { mode: 'approve' }, false],
      ['SAFE', { mode: 'observe' }, false],
      ['SAFE', {}, true],
    ];
    for (const [risk, rem, want] of table) {
      it(`${risk ?? '(unset)'} with ${JSON.stringify(rem)} → ${want ? 'auto' : 'waits'}`, () => expect(autoApproved(risk as never, rem as never)).to.equal(want));
    }
    it('DANGEROUS needs the profile\'s number of distinct approvers', () => {
      expect(approvalsNeeded('DANGEROUS', { dangerousApprovals: 2 })).to.equal(2);
      expect(approvalsNeeded('CONFIRM', { dangerousApprovals: 2 })).to.equal(1);
    });
  });

  describe('maintenance windows', () => {
    const nightly = [{ schedule: '0 2 * * *', duration: '2h', timeZone: 'Europe/Paris' }];
    it('is open inside the window and closed outside, in the window\'s time zone', () => {
      expect(windowState(nightly, new Date('2026-11-21T01:30:00Z')).open).to.equal(true); // 02:30 Paris
      const closed = windowState(nightly, new Date('2026-11-21T12:00:00Z'));
      expect(closed.open).to.equal(false);
      expect(closed.open === false && closed.nextOpen?.toISOString()).to.equal('2026-11-22T01:00:00.000Z');
      expect(windowState(nightly, new Date('2026-11-21T03:00:00Z')).open).to.equal(false); // 04:00 Paris: just closed
    });
    it('no windows means always open; a bad window is closed with the reason', () => {
      expect(windowState([], new Date()).open).to.equal(true);
      const bad = windowState([{ schedule: 'nonsense', duration: '1h' }], new Date());
      expect(bad.open === false && bad.reason).to.match(/is invalid/);
      expect(() => durationMs('2 hours')).to.throw(/not a duration/);
      expect(durationMs('1h30m')).to.equal(5_400_000);
    });
  });

  describe('rollout pause', () => {
    const profile = (resumedAt?: string) => ({ metadata: { name: 'p', ...(resumedAt ? { annotations: { 'hyprbox.io/rollout-resumed-at': resumedAt } } : {}) }, spec: { rollout: { maxFailures: 0 } } });
    const failed = (finishedAt: string) => ({ metadata: { name: 'r' }, status: { phase: 'Failed', finishedAt } });
    it('a failure pauses; a resume after it lifts the pause; a failure after the resume pauses again', () => {
      expect(rolloutPaused(profile(), [failed('2026-01-02T03:04:05.300Z')])).to.equal(true);
      expect(rolloutPaused(profile('2026-01-02T03:04:05.900Z'), [failed('2026-01-02T03:04:05.300Z')])).to.equal(false);
      expect(rolloutPaused(profile('2026-01-02T03:04:05.900Z'), [failed('2026-01-02T03:04:06.100Z')])).to.equal(true);
    });
    it('a resume in whole seconds covers its second: a failure earlier in that second does not keep the rollout paused', () => {
      expect(rolloutPaused(profile('2026-01-02T03:04:05Z'), [failed('2026-01-02T03:04:05.300Z')])).to.equal(false);
      expect(rolloutPaused(profile('2026-01-02T03:04:05+00:00'), [failed('2026-01-02T03:04:05.300Z')])).to.equal(false);
      expect(rolloutPaused(profile('2026-01-02T03:04:05Z'), [failed('2026-01-02T03:04:06.000Z')])).to.equal(true);
    });
  });

  describe('work queue', () => {
    it('de-duplicates, reprocesses a key changed while processing, and backs off failures', async () => {
      const clock = fakeClock();
      const q = new WorkQueue(clock, 100, 1000);
      q.add('a');
      q.add('a');
      q.add('b');
      expect(q.length).to.equal(2);
      expect(await q.get()).to.equal('a');
      q.add('a'); // changed while processing
      q.done('a');
      expect(await q.get()).to.equal('b');
      q.done('b');
      expect(await q.get()).to.equal('a');
      q.done('a');
      expect([q.addRateLimited('x'), q.addRateLimited('x'), q.addRateLimited('x'), q.addRateLimited('x'), q.addRateLimited('x')]).to.deep.equal([100, 200, 400, 800, 1000]);
      expect(q.length).to.equal(0);
      clock.advance(100);
      expect(q.length).to.equal(1);
      q.forget('x');
      expect(q.failuresOf('x')).to.equal(0);
      q.shutdown();
      expect(await q.get()).to.equal(undefined);
    });
  });
});
