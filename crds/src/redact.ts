// Secret redaction, in one place, for logs, audit events and --json output. Two kinds of rule:
//  - by key name: the value of any key that looks like it holds a secret (password, secret, token, api key,
//    private key, credential, authorization, cookie; snake, kebab, dotted or camel case), or of a key the
//    caller names (a preset's secretParams), is replaced whole by '[REDACTED]';
//  - by shape, inside any string: HyprBox bearer tokens (hbx_ + 20 or more base64url characters), the
//    credential after "Bearer ", the password in a URL's user-info, and key=value pairs with a secret key name
//    (query strings, environment dumps).
// loggerOptions applies both to everything a pino logger writes: the logged object and child bindings by key
// (deep), interpolation arguments, the final line by shape (so messages and serialized errors are covered),
// plus pino's own path-based
// redact for the well-known places.
import type { LevelWithSilentOrString, LoggerOptions } from 'pino';

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets, matched at the end of the key after a separator (or alone). */
export const SECRET_KEY_PATTERN =
  /(^|[-_.])(pass(word)?|secret|token|api[-_]?key|private[-_]?key|credentials?|authorization|cookie)$/i;

/**
 * Paths for pino's `redact` option (fast-redact syntax: `*` stands for one level). They cover the headers of
 * a logged request or response and secret-named keys at the top level and one level down; deeper ones are
 * caught by the key rules loggerOptions applies to the whole object.
 */
export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...['password', 'passwd', 'pass', 'secret', 'token', 'apiKey', 'api_key', 'privateKey', 'private_key', 'credentials', 'authorization'].flatMap(
    (k) => [k, `*.${k}`],
  ),
];

export interface RedactOptions {
  /** Further key names (exact, case-sensitive) whose values are secrets, e.g. a preset's secretParams. */
  secretKeys?: readonly string[];
}

/** True when a value under `key` is to be redacted by name. */
export function isSecretKey(key: string, secretKeys?: readonly string[]): boolean {
  if (secretKeys?.includes(key) === true) return true;
  return SECRET_KEY_PATTERN.test(key) || SECRET_KEY_PATTERN.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

const SECRET_WORDS = String.raw`(?:pass(?:word)?|passwd|secret|token|api[-_]?key|private[-_]?key|credentials?|authorization)`;
// Every rule starts at a fixed literal (hbx_, Bearer, ://, a secret word), so none backtracks over long text.
const STRING_RULES: ReadonlyArray<[RegExp, string]> = [
  // HyprBox tokens anywhere, even glued to other text.
  [/hbx_[A-Za-z0-9_-]{20,}/g, REDACTED],
  // RFC 6750 b64token after "Bearer".
  [/\b(Bearer)\s+[A-Za-z0-9._~+/-]+=*/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host
  [/(:\/\/[^\s/:@"'\\]*:)[^\s/@"'\\]+@/g, `$1${REDACTED}@`],
  // "db_password": "..." in JSON text (a logged body)
  [new RegExp(String.raw`(${SECRET_WORDS}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi'), `$1"${REDACTED}"`],
  // token=..., client_secret=..., DB_PASSWORD=...
  [new RegExp(String.raw`(${SECRET_WORDS}=)[^&\s"'\\,;]+`, 'gi'), `$1${REDACTED}`],
];

/** `s` with every secret-shaped substring replaced. */
export function redactString(s: string): string {
  let out = s;
  for (const [re, replacement] of STRING_RULES) out = out.replace(re, replacement);
  return out;
}

/**
 * A deep copy of `value` with secrets replaced by '[REDACTED]': values under secret-named keys (and the keys
 * in opts.secretKeys), and secret-shaped substrings of every string. Arrays, plain objects, Errors (own
 * properties, message, stack and cause included, prototype kept), Maps and Sets are copied; other objects
 * (Dates, Buffers, class instances such as requests and sockets) are returned as they are, so serialize those
 * first. Cycles become '[Circular]'. null and undefined under a secret key stay as they are.
 */
export function redact<T>(value: T, opts: RedactOptions = {}): T {
  return copy(value, opts.secretKeys, new WeakMap()) as T;
}

function copy(value: unknown, secretKeys: readonly string[] | undefined, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) === IN_PROGRESS ? '[Circular]' : seen.get(value);
  const entry = (k: string, v: unknown): unknown =>
    v !== null && v !== undefined && isSecretKey(k, secretKeys) ? REDACTED : copy(v, secretKeys, seen);

  seen.set(value, IN_PROGRESS);
  let out: unknown = value;
  if (Array.isArray(value)) {
    out = value.map((v: unknown) => copy(v, secretKeys, seen));
  } else if (value instanceof Error) {
    const err = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(value)) {
      const d = Object.getOwnPropertyDescriptor(value, k)!;
      Object.defineProperty(err, k, {
        value: entry(k, (value as unknown as Record<string, unknown>)[k]),
        enumerable: d.enumerable ?? false,
        writable: true,
        configurable: true,
      });
    }
    out = err;
  } else if (value instanceof Map) {
    out = new Map([...(value as Map<unknown, unknown>)].map(([k, v]) => [k, typeof k === 'string' ? entry(k, v) : copy(v, secretKeys, seen)]));
  } else if (value instanceof Set) {
    out = new Set([...(value as Set<unknown>)].map((v) => copy(v, secretKeys, seen)));
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Object.prototype || proto === null) {
      const obj: Record<string, unknown> = proto === null ? (Object.create(null) as Record<string, unknown>) : {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(obj, k, { value: entry(k, v), enumerable: true, writable: true, configurable: true });
      }
      out = obj;
    }
  }
  seen.set(value, out);
  return out;
}

const IN_PROGRESS = Symbol('in progress');

/**
 * pino options for every controller logger: the level, pino's path redaction (REDACT_PATHS), key-based
 * redaction of the logged object and of child bindings, and shape-based redaction of each finished line.
 */
export function loggerOptions(level: LevelWithSilentOrString = 'info'): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: {
      log: (obj) => redact(obj),
      bindings: (bindings) => redact(bindings),
    },
    hooks: {
      // Interpolation arguments (log.info('%s %o', a, b)) reach neither formatter.
      logMethod(args, method) {
        const first = typeof args[0] === 'object' && args[0] !== null ? 2 : 1;
        const redacted = args.map((a: unknown, i) => (i >= first ? redact(a) : a)) as typeof args;
        method.apply(this, redacted);
      },
      streamWrite: (line) => redactString(line),
    },
  };
}
