import { expect } from 'chai';
import { addressKey, createAuthLimiter } from '@hyprbox/controller/auth/ratelimit';

describe('failed-authentication limiter', () => {
  let clock: number;
  const now = (): number => clock;
  beforeEach(() => {
    clock = 1_700_000_000_000;
  });

  it('blocks a key after maxFailures failures within the window', () => {
    const l = createAuthLimiter({ maxFailures: 3, windowSeconds: 60, blockSeconds: 30, now });
    const keys = ['ip:10.0.0.1'];
    l.failure(keys);
    l.failure(keys);
    expect(l.retryAfter(keys)).to.equal(0);
    l.failure(keys);
    expect(l.retryAfter(keys)).to.equal(30);
    expect(l.retryAfter(['ip:10.0.0.2'])).to.equal(0);
  });

  it('defaults to 10 failures, 60 s window, 60 s block', () => {
    const l = createAuthLimiter({ now });
    for (let i = 0; i < 9; i++) l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(0);
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(60);
  });

  it('counts address and token-prefix keys independently', () => {
    const l = createAuthLimiter({ maxFailures: 2, now });
    // One prefix guessed from two addresses: the prefix blocks, neither address does.
    l.failure(['ip:1.1.1.1', 'prefix:hbx_abcd']);
    l.failure(['ip:2.2.2.2', 'prefix:hbx_abcd']);
    expect(l.retryAfter(['prefix:hbx_abcd'])).to.equal(60);
    expect(l.retryAfter(['ip:1.1.1.1'])).to.equal(0);
    expect(l.retryAfter(['ip:2.2.2.2'])).to.equal(0);
    // One address trying two prefixes: the address blocks, neither prefix does.
    l.failure(['ip:3.3.3.3', 'prefix:hbx_p1']);
    l.failure(['ip:3.3.3.3', 'prefix:hbx_p2']);
    expect(l.retryAfter(['ip:3.3.3.3'])).to.equal(60);
    expect(l.retryAfter(['prefix:hbx_p1'])).to.equal(0);
    expect(l.retryAfter(['prefix:hbx_p2'])).to.equal(0);
    // Any blocked key blocks the request.
    expect(l.retryAfter(['ip:9.9.9.9', 'prefix:hbx_abcd'])).to.equal(60);
  });

  it('a key given twice in one call counts once', () => {
    const l = createAuthLimiter({ maxFailures: 2, now });
    l.failure(['ip:a', 'ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(0);
  });

  it('reports Retry-After as the whole seconds left of the longest block, at least 1', () => {
    const l = createAuthLimiter({ maxFailures: 1, blockSeconds: 60, now });
    l.failure(['ip:a']);
    clock += 20_500;
    l.failure(['prefix:p']);
    clock += 100;
    // ip:a has 39.4 s left, prefix:p 59.9 s.
    expect(l.retryAfter(['ip:a'])).to.equal(40);
    expect(l.retryAfter(['ip:a', 'prefix:p'])).to.equal(60);
    clock += 39_300; // ip:a: 0.1 s left
    expect(l.retryAfter(['ip:a'])).to.equal(1);
  });

  it('unblocks after the block period and counts afresh', () => {
    const l = createAuthLimiter({ maxFailures: 2, windowSeconds: 60, blockSeconds: 30, now });
    l.failure(['ip:a']);
    l.failure(['ip:a']);
    clock += 29_999;
    expect(l.retryAfter(['ip:a'])).to.equal(1);
    clock += 1;
    expect(l.retryAfter(['ip:a'])).to.equal(0);
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(0);
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(30);
  });

  it('failures reported during a block do not extend it', () => {
    const l = createAuthLimiter({ maxFailures: 1, blockSeconds: 30, now });
    l.failure(['ip:a']);
    clock += 20_000;
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(10);
  });

  it('forgets failures older than the window', () => {
    const l = createAuthLimiter({ maxFailures: 3, windowSeconds: 10, now });
    l.failure(['ip:a']);
    l.failure(['ip:a']);
    clock += 10_000;
    l.failure(['ip:a']);
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.equal(0);
    l.failure(['ip:a']);
    expect(l.retryAfter(['ip:a'])).to.be.greaterThan(0);
  });

  it('keeps at most maxKeys keys under a million distinct ones, evicting the least recently used', () => {
    const l = createAuthLimiter({ maxKeys: 1000, maxFailures: 1, blockSeconds: 3600, now });
    l.failure(['ip:idle']);
    l.failure(['ip:prober']);
    let max = 0;
    for (let i = 0; i < 1_000_000; i++) {
      l.failure([`prefix:${i}`]);
      if (i % 100 === 0) {
        expect(l.retryAfter(['ip:prober'])).to.be.greaterThan(0); // still being hit: stays blocked
        max = Math.max(max, l.size());
      }
      if (i % 1000 === 0) clock += 1;
    }
    expect(max).to.be.at.most(1000);
    expect(l.size()).to.be.within(500, 1000);
    expect(l.retryAfter(['ip:prober'])).to.be.greaterThan(0);
    expect(l.retryAfter(['ip:idle'])).to.equal(0); // evicted long ago

    // Default bound; over-long (made-up) prefixes are cut, so they cannot cost memory either.
    const big = createAuthLimiter({ now });
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 1_000_000; i++) big.failure([`ip:${i}`, `prefix:${long}${i}`]);
    expect(big.size()).to.be.within(50_000, 100_000);
  });

  it('drops expired keys as it goes, without timers', () => {
    const l = createAuthLimiter({ maxFailures: 5, windowSeconds: 1, blockSeconds: 1, now });
    for (let i = 0; i < 100; i++) l.failure([`ip:${i}`]);
    expect(l.size()).to.equal(100);
    clock += 2_000;
    for (let i = 0; i < 100; i++) l.retryAfter(['ip:other']);
    expect(l.size()).to.equal(0);
  });

  it('refuses nonsensical options', () => {
    expect(() => createAuthLimiter({ maxFailures: 0 })).to.throw(RangeError, /maxFailures/);
    expect(() => createAuthLimiter({ maxKeys: 1.5 })).to.throw(RangeError, /maxKeys/);
    expect(() => createAuthLimiter({ blockSeconds: -1 })).to.throw(RangeError, /blockSeconds/);
  });

  it('addressKey folds IPv4-mapped addresses and IPv6 /64s', () => {
    expect(addressKey('10.1.2.3')).to.equal('ip:10.1.2.3');
    expect(addressKey('::ffff:10.1.2.3')).to.equal('ip:10.1.2.3');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).to.equal('ip:2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).to.equal('ip:2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:0001:0002::1%eth0')).to.equal('ip:2001:db8:1:2::/64');
    expect(addressKey('::1')).to.equal('ip:0:0:0:0::/64');
    expect(addressKey('64:ff9b::10.0.0.1')).to.equal('ip:64:ff9b:0:0::/64');
    expect(addressKey(undefined)).to.equal('ip:unknown');
  });
});
