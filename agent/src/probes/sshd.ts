// sshd: the effective global settings of OpenSSH's sshd, read the way sshd reads its configuration
// (servconf.c, OpenSSH 9.x as on Debian 12), plus the count of root's and users' authorized keys.
//
// Semantics reproduced:
// - keywords are case-insensitive; `Keyword value`, `Keyword=value` and `Keyword = value`; a token starting
//   with '#' ends the line; double and single quotes group words; \" \' \\ escapes.
// - the first value wins for single-value keywords (later lines, later files cannot change it); `Port`
//   accumulates (one port per line).
// - `Include` takes one or more patterns; relative ones are relative to /etc/ssh; glob results are sorted and
//   parsed in order at the place of the Include; a pattern matching nothing is fine (as in sshd). Nesting is
//   limited to 16 levels (sshd: "Too many recursive configuration includes"); a cycle is reported as such.
// - `Match` starts a conditional block that lasts until the next Match or the end of the file it is in (an
//   included file's Match does not leak into the file that included it); `Match all` returns to global scope.
//   Settings inside a Match block do not change the global value; they are reported in `matchSettings`.
//   An Include inside a Match block belongs to that block (sshd parses it as "never match" globally).
// - Defaults are OpenSSH's compiled-in ones (what `sshd -T` prints when a keyword is set nowhere).
//
// Never a negative answer it did not read: an unreadable main file makes every field unknown; an unreadable
// Include makes every field not already set unknown (sshd would read it before anything later), and the
// Match-block list unknown. Values sshd would reject (`PasswordAuthentication maybe`) are reported in `errors`
// and leave the field unknown unless an earlier line already set it.
import { byteOrder, isMissing, watchDirOf } from './host.js';
import type { FileInput, HostAccess, Probe, ProbeField, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export const SSHD_MAIN_CONFIG = '/etc/ssh/sshd_config';
/** Relative Include patterns are relative to this directory (SSHDIR). */
export const SSHD_DIR = '/etc/ssh';
/** sshd's SERVCONF_MAX_DEPTH: the main file is depth 0, a file it includes depth 1, ... up to 16. */
export const SSHD_MAX_INCLUDE_DEPTH = 16;

export type YesNo = 'yes' | 'no';
export type PermitRootLogin = 'yes' | 'prohibit-password' | 'forced-commands-only' | 'no';

export interface SshdValues {
  passwordAuthentication: YesNo;
  permitRootLogin: PermitRootLogin;
  pubkeyAuthentication: YesNo;
  kbdInteractiveAuthentication: YesNo;
  permitEmptyPasswords: YesNo;
  x11Forwarding: YesNo;
  maxAuthTries: number;
  port: number[];
}
export type SshdSettingName = keyof SshdValues;

/** Where a value came from: OpenSSH's compiled-in default, or a line of a file. */
export interface SshdSetting<T> {
  value: T;
  source: 'default' | 'file';
  file?: string;
  line?: number;
}

export type SshdSettings = { [K in SshdSettingName]: ProbeField<SshdSetting<SshdValues[K]>> };

/** A tracked keyword set inside a Match block (it applies only to connections matching `criteria`). */
export interface SshdMatchSetting {
  /** The Match line's criteria as written, e.g. "User alice" ("<outer> ; <inner>" for a Match in an Include inside a Match). */
  criteria: string;
  /** Canonical spelling, e.g. "PasswordAuthentication". */
  keyword: string;
  value: string | number;
  file: string;
  line: number;
}

export interface SshdConfig {
  settings: SshdSettings;
  /** Every tracked keyword set inside a Match block; unknown when an Include could not be read. */
  matchSettings: ProbeField<SshdMatchSetting[]>;
  /** Files read, in the order sshd reads them (the main file first). */
  files: string[];
  /** Include patterns met, made absolute. */
  includes: string[];
  /** What `sshd -t` would reject (bad values, invalid quotes, include cycles, Port inside Match...). */
  errors: string[];
}

/** Expands an Include pattern; may throw when a directory cannot be listed. */
export type SshdGlobber = (pattern: string) => string[];

/** OpenSSH 9.x compiled-in defaults (servconf.h); Debian 12's shipped sshd_config sets some of these in the file. */
export const SSHD_DEFAULTS: SshdValues = {
  passwordAuthentication: 'yes',
  permitRootLogin: 'prohibit-password',
  pubkeyAuthentication: 'yes',
  // Compiled default is yes; Debian ships "KbdInteractiveAuthentication no" in /etc/ssh/sshd_config, which
  // then is reported with source 'file'.
  kbdInteractiveAuthentication: 'yes',
  permitEmptyPasswords: 'no',
  x11Forwarding: 'no',
  maxAuthTries: 6,
  port: [22],
};

const CANONICAL: Record<SshdSettingName, string> = {
  passwordAuthentication: 'PasswordAuthentication',
  permitRootLogin: 'PermitRootLogin',
  pubkeyAuthentication: 'PubkeyAuthentication',
  kbdInteractiveAuthentication: 'KbdInteractiveAuthentication',
  permitEmptyPasswords: 'PermitEmptyPasswords',
  x11Forwarding: 'X11Forwarding',
  maxAuthTries: 'MaxAuthTries',
  port: 'Port',
};

/** Lower-case keyword (aliases included) → setting. */
const KEYWORDS: Record<string, SshdSettingName> = {
  passwordauthentication: 'passwordAuthentication',
  permitrootlogin: 'permitRootLogin',
  pubkeyauthentication: 'pubkeyAuthentication',
  dsaauthentication: 'pubkeyAuthentication',
  kbdinteractiveauthentication: 'kbdInteractiveAuthentication',
  challengeresponseauthentication: 'kbdInteractiveAuthentication',
  skeyauthentication: 'kbdInteractiveAuthentication',
  permitemptypasswords: 'permitEmptyPasswords',
  x11forwarding: 'x11Forwarding',
  maxauthtries: 'maxAuthTries',
  port: 'port',
};

export const SSHD_SETTING_NAMES = Object.keys(CANONICAL) as SshdSettingName[];

type Parsed = { value: string | number } | { error: string };

function parseValue(name: SshdSettingName, arg: string): Parsed {
  const lower = arg.toLowerCase();
  switch (name) {
    case 'permitRootLogin':
      if (lower === 'without-password') return { value: 'prohibit-password' };
      if (['yes', 'prohibit-password', 'forced-commands-only', 'no'].includes(lower)) return { value: lower };
      return { error: `unsupported value "${arg}"` };
    case 'maxAuthTries': {
      if (!/^\d+$/.test(arg) || Number(arg) > 2147483647) return { error: `bad integer "${arg}"` };
      return { value: Number(arg) };
    }
    case 'port': {
      const n = /^\d+$/.test(arg) ? Number(arg) : NaN;
      if (!(n >= 1 && n <= 65535)) return { error: `badly formatted port number "${arg}"` };
      return { value: n };
    }
    default:
      if (lower === 'yes' || lower === 'no') return { value: lower };
      return { error: `unsupported value "${arg}"` };
  }
}

// ---- tokenizing -------------------------------------------------------------------------------------------

/** misc.c argv_split(s, terminate_on_comment=1). Returns null on an unterminated quote. */
export function splitArgs(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const ch = s[i]!;
      const nx = s[i + 1];
      if (ch === '\\') {
        if (nx === "'" || nx === '"' || nx === '\\' || (quote === '' && nx === ' ')) {
          arg += nx;
          i++;
        } else {
          arg += ch;
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    if (quote !== '') return null;
    out.push(arg);
  }
  return out;
}

export type SshdLine =
  | { keyword: string; args: string[] }
  | { keyword: string; error: string };

/** One configuration line → keyword and arguments; null for blank lines and comments. */
export function splitLine(raw: string): SshdLine | null {
  const line = raw.replace(/[ \t\r\n\f]+$/, '');
  const start = line.search(/[^ \t\r\n]/);
  if (start < 0 || line[start] === '#') return null;
  const s = line.slice(start);
  const m = /^[^ \t\r\n"=]*/.exec(s)!;
  const keyword = m[0];
  if (keyword === '') return null;
  let rest = s.slice(keyword.length);
  // strdelim: one '=' may separate keyword and value, with whitespace on either side.
  if (rest.startsWith('=')) rest = rest.slice(1).replace(/^[ \t\r\n]+/, '');
  else {
    rest = rest.replace(/^[ \t\r\n]+/, '');
    if (rest.startsWith('=')) rest = rest.slice(1).replace(/^[ \t\r\n]+/, '');
  }
  if (rest === '') return { keyword, error: `no argument after keyword "${keyword}"` };
  const args = splitArgs(rest);
  if (args === null) return { keyword, error: 'invalid quotes' };
  return { keyword, args };
}

// ---- the parser -------------------------------------------------------------------------------------------

interface Scope {
  /** True in global scope (before any Match, or after `Match all` outside an Include-in-Match). */
  active: boolean;
  /** Criteria of the Match block we are in (null in global scope). */
  criteria: string | null;
  /** Inside an Include that itself sits in a Match block: nothing here is global, even after `Match all`. */
  neverMatch: boolean;
  /** Criteria of the Match block around the Include, for neverMatch scopes. */
  outer: string | null;
}

/**
 * Parses sshd's configuration starting at `mainPath`. Pure: `files` and `globber` answer synchronously
 * (the probe gathers their answers first). `globber` defaults to one that only accepts literal paths.
 */
export function parseSshdConfig(
  files: (path: string) => FileInput,
  mainPath: string = SSHD_MAIN_CONFIG,
  globber: SshdGlobber = literalGlobber(files),
): SshdConfig {
  const set = new Map<SshdSettingName, { value: string | number; file: string; line: number }>();
  const blocked = new Map<SshdSettingName, string>();
  const ports: { value: number; file: string; line: number }[] = [];
  const matchSettings: SshdMatchSetting[] = [];
  let matchUnknown: string | undefined;
  const read: string[] = [];
  const includes: string[] = [];
  const errors: string[] = [];

  /** Something (an unreadable include, a rejected value) could have set these fields first. */
  const block = (names: SshdSettingName[], reason: string): void => {
    for (const n of names) {
      if (n === 'port') {
        if (!blocked.has('port')) blocked.set('port', reason); // Port accumulates: any unseen file may add one
      } else if (!set.has(n) && !blocked.has(n)) blocked.set(n, reason);
    }
  };

  const couldNotRead = (scope: Scope, reason: string): void => {
    if (scope.active) block(SSHD_SETTING_NAMES, reason);
    matchUnknown ??= reason;
  };

  const parseFile = (file: string, depth: number, scope: Scope, stack: string[]): void => {
    const input = files(file);
    if (input.content === undefined) {
      couldNotRead(scope, input.error ?? `cannot read ${file}`);
      return;
    }
    read.push(file);
    const lines = input.content.split('\n');
    for (let idx = 0; idx < lines.length; idx++) {
      const lineNo = idx + 1;
      const where = `${file}:${lineNo}`;
      const parsed = splitLine(lines[idx]!);
      if (parsed === null) continue;
      const kw = parsed.keyword.toLowerCase();
      if ('error' in parsed) {
        errors.push(`${where}: ${parsed.error}`);
        const name = KEYWORDS[kw];
        if (name && scope.active) block([name], `${CANONICAL[name]} at ${where} is invalid (${parsed.error}); sshd would refuse this configuration`);
        if (kw === 'include') couldNotRead(scope, `Include at ${where} is invalid (${parsed.error})`);
        continue;
      }
      const { args } = parsed;

      if (kw === 'match') {
        if (args.length === 0) errors.push(`${where}: Match needs criteria`);
        const isAll = args.length >= 1 && args[0]!.toLowerCase() === 'all';
        if (isAll && args.length > 1) errors.push(`${where}: 'all' cannot be combined with other Match criteria`);
        const criteria = args.join(' ');
        if (scope.neverMatch) {
          scope.active = false;
          scope.criteria = scope.outer === null ? criteria : `${scope.outer} ; ${criteria}`;
        } else if (isAll && args.length === 1) {
          scope.active = true;
          scope.criteria = null;
        } else {
          scope.active = false;
          scope.criteria = criteria;
        }
        continue;
      }

      if (kw === 'include') {
        for (const arg of args) {
          if (arg === '') {
            errors.push(`${where}: Include with an empty argument`);
            continue;
          }
          const pattern = arg.startsWith('/') || arg.startsWith('~') ? arg : `${SSHD_DIR}/${arg}`;
          if (!includes.includes(pattern)) includes.push(pattern);
          let matched: string[];
          try {
            matched = [...globber(pattern)].sort(byteOrder);
          } catch (e) {
            couldNotRead(scope, `cannot expand Include ${pattern} (${where}): ${e instanceof Error ? e.message : String(e)}`);
            continue;
          }
          for (const child of matched) {
            const childScope: Scope = scope.active
              ? { active: true, criteria: null, neverMatch: scope.neverMatch, outer: scope.outer }
              : { active: false, criteria: scope.criteria, neverMatch: true, outer: scope.criteria };
            if (stack.includes(child)) {
              const cycle = [...stack.slice(stack.indexOf(child)), child].join(' -> ');
              errors.push(`${where}: Include cycle ${cycle}; sshd would refuse this configuration (too many recursive includes)`);
              couldNotRead(scope, `Include cycle ${cycle}`);
              continue;
            }
            if (depth + 1 > SSHD_MAX_INCLUDE_DEPTH) {
              errors.push(`${where}: includes nested deeper than ${SSHD_MAX_INCLUDE_DEPTH} levels; sshd would refuse this configuration`);
              couldNotRead(scope, `Include of ${child} at ${where} is nested deeper than ${SSHD_MAX_INCLUDE_DEPTH} levels`);
              continue;
            }
            parseFile(child, depth + 1, childScope, [...stack, child]);
          }
        }
        continue;
      }

      const name = KEYWORDS[kw];
      if (name === undefined) continue; // a keyword this probe does not track
      const canonical = CANONICAL[name];
      if (args.length === 0 || args[0] === '') {
        errors.push(`${where}: ${canonical} without a value`);
        if (scope.active) block([name], `${canonical} at ${where} has no value; sshd would refuse this configuration`);
        continue;
      }
      if (args.length > 1) {
        errors.push(`${where}: ${canonical} has extra arguments at end of line`);
        if (scope.active) block([name], `${canonical} at ${where} has extra arguments; sshd would refuse this configuration`);
        continue;
      }
      const value = parseValue(name, args[0]!);
      if ('error' in value) {
        errors.push(`${where}: ${canonical}: ${value.error}`);
        if (scope.active) block([name], `${canonical} at ${where}: ${value.error}; sshd would refuse this configuration`);
        continue;
      }
      if (!scope.active) {
        if (name === 'port') {
          errors.push(`${where}: Port is not allowed within a Match block`);
          continue;
        }
        matchSettings.push({ criteria: scope.criteria ?? '', keyword: canonical, value: value.value, file, line: lineNo });
        continue;
      }
      if (name === 'port') {
        if (!ports.some((p) => p.value === value.value)) ports.push({ value: value.value as number, file, line: lineNo });
      } else if (!set.has(name) && !blocked.has(name)) {
        set.set(name, { value: value.value, file, line: lineNo });
      }
    }
  };

  const main = files(mainPath);
  if (main.content === undefined) {
    const reason = main.error ?? `cannot read ${mainPath}`;
    const settings = Object.fromEntries(SSHD_SETTING_NAMES.map((n) => [n, unknown(reason)])) as unknown as SshdSettings;
    return { settings, matchSettings: unknown(reason), files: [], includes: [], errors: [] };
  }
  parseFile(mainPath, 0, { active: true, criteria: null, neverMatch: false, outer: null }, [mainPath]);

  const settings = {} as Record<SshdSettingName, ProbeField<SshdSetting<unknown>>>;
  for (const n of SSHD_SETTING_NAMES) {
    const why = blocked.get(n);
    if (n === 'port') {
      if (why !== undefined) settings.port = unknown(why);
      else if (ports.length > 0) settings.port = ok({ value: ports.map((p) => p.value), source: 'file', file: ports[0]!.file, line: ports[0]!.line });
      else settings.port = ok({ value: [...SSHD_DEFAULTS.port], source: 'default' });
      continue;
    }
    const s = set.get(n);
    if (s !== undefined) settings[n] = ok({ value: s.value, source: 'file', file: s.file, line: s.line });
    else if (why !== undefined) settings[n] = unknown(why);
    else settings[n] = ok({ value: SSHD_DEFAULTS[n], source: 'default' });
  }
  return {
    settings: settings as unknown as SshdSettings,
    matchSettings: matchUnknown !== undefined ? unknown(`${matchUnknown}; Match blocks there are not known`) : ok(matchSettings),
    files: read,
    includes,
    errors,
  };
}

/** A globber without a file system: literal patterns only, kept when `files` can read them. */
function literalGlobber(files: (path: string) => FileInput): SshdGlobber {
  return (pattern) => {
    if (/[*?[]/.test(pattern)) throw new Error('no globber given to expand wildcards');
    const f = files(pattern);
    return isMissing(f) ? [] : [pattern];
  };
}

// ---- collecting -------------------------------------------------------------------------------------------

const PENDING = 'not read yet';

/**
 * Runs the pure parser against the host: the parser asks for files and globs synchronously; what it asked
 * for and was not yet known is fetched, and the parse repeats until it asks for nothing new.
 */
export async function loadSshdConfig(host: HostAccess, mainPath: string = SSHD_MAIN_CONFIG): Promise<SshdConfig> {
  const fileCache = new Map<string, FileInput>();
  const globCache = new Map<string, string[] | Error>();
  // Each round fetches every file/glob of the next Include level; the depth limit bounds the rounds.
  for (let round = 0; ; round++) {
    const wantFiles = new Set<string>();
    const wantGlobs = new Set<string>();
    const result = parseSshdConfig(
      (p) => {
        const hit = fileCache.get(p);
        if (hit) return hit;
        wantFiles.add(p);
        return { path: p, error: PENDING };
      },
      mainPath,
      (pattern) => {
        const hit = globCache.get(pattern);
        if (hit === undefined) {
          wantGlobs.add(pattern);
          return [];
        }
        if (hit instanceof Error) throw hit;
        return hit;
      },
    );
    if ((wantFiles.size === 0 && wantGlobs.size === 0) || round > 4 * SSHD_MAX_INCLUDE_DEPTH + 8) return result;
    await Promise.all([
      ...[...wantFiles].map(async (p) => {
        fileCache.set(p, await host.readFile(p));
      }),
      ...[...wantGlobs].map(async (g) => {
        try {
          globCache.set(g, await host.glob(g));
        } catch (e) {
          globCache.set(g, e instanceof Error ? e : new Error(String(e)));
        }
      }),
    ]);
  }
}

/** Non-empty lines that are not comments: one key each. */
export function countAuthorizedKeys(content: string): number {
  return content.split('\n').filter((l) => {
    const t = l.trim();
    return t !== '' && !t.startsWith('#');
  }).length;
}

/** Candidate authorized_keys files: root's, and one per directory under /home. */
async function authorizedKeysFiles(host: HostAccess): Promise<{ files: string[]; error?: string }> {
  const files = ['/root/.ssh/authorized_keys'];
  try {
    for (const home of await host.glob('/home/*')) files.push(`${home}/.ssh/authorized_keys`);
  } catch (e) {
    return { files, error: `cannot list /home: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { files };
}

/**
 * Keys in /root/.ssh/authorized_keys and /home/* /.ssh/authorized_keys. An absent file counts 0; a file that
 * exists but cannot be read (or /home that cannot be listed) makes the count unknown — a number would then be
 * a guess, and "0" could stop a hardening run for no reason or let one lock the host out.
 */
export async function collectAuthorizedKeys(host: HostAccess): Promise<ProbeField<number>> {
  const { files, error } = await authorizedKeysFiles(host);
  if (error) return unknown(error);
  let count = 0;
  const unreadable: string[] = [];
  for (const input of await Promise.all(files.map((f) => host.readFile(f)))) {
    if (input.content !== undefined) count += countAuthorizedKeys(input.content);
    else if (!isMissing(input)) unreadable.push(input.error ?? `cannot read ${input.path}`);
  }
  if (unreadable.length > 0) return unknown(unreadable.join('; '));
  return ok(count);
}

/** Match-block settings worth a warning: password authentication turned on, or any root-login policy. */
export function matchOverrides(settings: SshdMatchSetting[]): { criteria: string; keyword: string; value: string | number; source: string }[] {
  return settings
    .filter((s) => (s.keyword === 'PasswordAuthentication' && s.value === 'yes') || s.keyword === 'PermitRootLogin')
    .map((s) => ({ criteria: s.criteria, keyword: s.keyword, value: s.value, source: `${s.file}:${s.line}` }));
}


export const sshdProbe: Probe = {
  name: 'sshd',
  async watches(host) {
    const out = new Set<string>([SSHD_MAIN_CONFIG]);
    try {
      const cfg = await loadSshdConfig(host);
      for (const f of cfg.files) out.add(f);
      for (const p of cfg.includes) {
        const dir = watchDirOf(p);
        out.add(dir ?? p); // a directory, so a new file matching the glob is seen too
      }
    } catch {
      // watches are a hint; the interval scan still runs the probe
    }
    try {
      for (const f of (await authorizedKeysFiles(host)).files) out.add(f);
    } catch {
      // ditto
    }
    return [...out];
  },
  async collect(host) {
    const cfg = await loadSshdConfig(host);
    const result: ProbeResult = {};
    const sources: Record<string, string> = {};
    for (const n of SSHD_SETTING_NAMES) {
      const f = cfg.settings[n];
      if (f.state === 'ok') {
        result[`sshd.${n}`] = ok(f.value.value);
        sources[n] = f.value.source === 'default' ? 'default' : `${f.value.file}:${f.value.line}`;
      } else {
        result[`sshd.${n}`] = f;
      }
    }
    const mainRead = cfg.files.length > 0;
    const mainError = cfg.settings.passwordAuthentication.state === 'unknown' ? cfg.settings.passwordAuthentication.reason : 'unknown';
    result['sshd.sources'] = mainRead ? ok(sources) : unknown(mainError);
    result['sshd.matchOverrides'] = cfg.matchSettings.state === 'ok' ? ok(matchOverrides(cfg.matchSettings.value)) : cfg.matchSettings;
    result['sshd.configErrors'] = mainRead ? ok(cfg.errors) : unknown(mainError);
    result['sshd.authorizedKeys'] = await collectAuthorizedKeys(host);
    return result;
  },
};
