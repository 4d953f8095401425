// Failed-authentication limiter: after maxFailures failed attempts within windowSeconds, a key (a source
// address `ip:<address>` or a token prefix `prefix:<prefix>`) is blocked for blockSeconds and the server
// answers 429 with Retry-After instead of trying the credential. In memory, per controller process.
//
// Counting is a fixed window that opens at a key's first failure; the failure that reaches maxFailures starts
// the block, and counting starts afresh after it. Failures reported while a key is blocked do not extend the
// block (the server should not get that far: it asks retryAfter first).
//
// A success forgets nothing: an address's failures run out with their window, so guesses interleaved with a
// valid request of the guesser's own are still counted. A token that authenticated before passes a blocked
// address anyway (api/front.ts), so the guesses of others behind one address do not lock its owner out.
//
// Memory is bounded: at most maxKeys entries, the least recently used evicted first (a generation at a time),
// and entries whose window and block have passed are dropped lazily as calls go by. No timers, so nothing
// keeps the process alive.
import { isIPv4, isIPv6 } from 'node:net';

export interface AuthLimiterOptions {
  /** Failures within the window that block a key (default 10). */
  maxFailures?: number;
  /** Length of the counting window in seconds (default 60). */
  windowSeconds?: number;
  /** How long a key stays blocked, in seconds (default 60). */
  blockSeconds?: number;
  /** Most keys remembered; the least recently used are evicted beyond it (default 100 000). */
  maxKeys?: number;
  /** Clock in milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

export interface AuthLimiter {
  /** Whole seconds (at least 1) until every one of `keys` is unblocked; 0 when none is blocked. */
  retryAfter(keys: readonly string[]): number;
  /** Records one failed authentication against each of `keys`. */
  failure(keys: readonly string[]): void;
  /** Number of keys currently remembered. */
  size(): number;
}

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

/** Keys longer than this are cut: they can only come from made-up token prefixes, and must not cost memory. */
const MAX_KEY_LENGTH = 256;

export function createAuthLimiter(o: AuthLimiterOptions = {}): AuthLimiter {
  const maxFailures = positive('maxFailures', o.maxFailures ?? 10, true);
  const windowMs = positive('windowSeconds', o.windowSeconds ?? 60, false) * 1000;
  const blockMs = positive('blockSeconds', o.blockSeconds ?? 60, false) * 1000;
  const maxKeys = positive('maxKeys', o.maxKeys ?? 100_000, true);
  const now = o.now ?? Date.now;
  // An entry is expired at the latest `horizon` after its last failure.
  const horizon = Math.max(windowMs, blockMs);

  // Two generations, so that evicting never means walking a Map (which is O(n) in V8 once its front is full
  // of deleted slots): keys are written to `young`; when it holds `generation` keys, or is older than the
  // horizon, it becomes `old` and the previous `old` is dropped whole. A key used again moves back to young.
  // young < generation and old <= generation, so the total stays within maxKeys.
  const generation = Math.max(1, Math.floor(maxKeys / 2));
  let young = new Map<string, Entry>();
  let old = new Map<string, Entry>();
  let youngSince = now();
  let lastFailure = -Infinity;

  const expired = (e: Entry, t: number): boolean => e.blockedUntil <= t && t - e.windowStart >= windowMs;

  function roll(t: number): void {
    old = young;
    young = new Map();
    youngSince = t;
  }

  function maintain(t: number): void {
    if (t - lastFailure >= horizon) {
      // No failure for a whole horizon: every entry has expired.
      if (young.size > 0) young = new Map();
      if (old.size > 0) old = new Map();
      youngSince = t;
    } else if (t - youngSince >= horizon) {
      roll(t); // what was old has expired
    }
  }

  function get(k: string): Entry | undefined {
    const e = young.get(k);
    if (e !== undefined) return e;
    const o = old.get(k);
    if (o === undefined) return undefined;
    old.delete(k);
    put(k, o);
    return o;
  }

  function put(k: string, e: Entry): void {
    young.set(k, e);
    if (young.size >= generation) roll(now());
  }

  function forget(k: string): void {
    young.delete(k);
    old.delete(k);
  }

  return {
    retryAfter(keys) {
      const t = now();
      maintain(t);
      let wait = 0;
      for (const key of keys) {
        const k = normalize(key);
        const e = young.get(k) ?? old.get(k);
        if (e === undefined) continue;
        if (e.blockedUntil > t) {
          wait = Math.max(wait, Math.ceil((e.blockedUntil - t) / 1000));
          get(k); // a block that is still being hit stays in memory
        } else if (expired(e, t)) {
          forget(k);
        }
      }
      return wait;
    },

    failure(keys) {
      const t = now();
      maintain(t);
      lastFailure = t;
      for (const k of new Set(keys.map(normalize))) {
        let e = get(k);
        if (e !== undefined && e.blockedUntil > t) continue;
        if (e === undefined || t - e.windowStart >= windowMs) {
          e = { failures: 0, windowStart: t, blockedUntil: 0 };
          put(k, e);
        }
        e.failures += 1;
        if (e.failures >= maxFailures) {
          e.blockedUntil = t + blockMs;
          e.failures = 0;
          e.windowStart = t;
        }
      }
    },

    size() {
      maintain(now());
      return young.size + old.size;
    },
  };
}

/**
 * The limiter key of a source address: `ip:<address>`, with an IPv4-mapped IPv6 address written as IPv4 and
 * any other IPv6 address cut to its /64, since one host (or attacker) commonly holds a whole /64.
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'ip:unknown';
  const bare = address.replace(/%.*$/, ''); // zone index
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped !== null && isIPv4(mapped[1]!)) return `ip:${mapped[1]}`;
  if (isIPv4(bare) || !isIPv6(bare)) return `ip:${bare}`;
  const groups = expandIPv6(bare);
  return `ip:${groups.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16).toString(16));
}

function normalize(key: string): string {
  return key.length > MAX_KEY_LENGTH ? key.slice(0, MAX_KEY_LENGTH) : key;
}

function positive(name: string, value: number, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`createAuthLimiter: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}
