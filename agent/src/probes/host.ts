// HostAccess over a root directory: '/' on a real host, a fixture or a debootstrapped tree in tests.
//
// Paths given to readFile and glob are host paths ('/etc/ssh/sshd_config'), resolved under `root` the way the
// kernel resolves them inside a chroot: absolute symlink targets restart at `root`, never at the machine's
// own '/'. Under a root other than '/', a path whose `..` (in the request or in a symlink target) would climb
// above `root` is refused (EESCAPE); on '/' itself `/..` is '/', as for the kernel.
// Nothing here throws for a file it cannot read: readFile answers { error }, and the error text ends with the
// errno code in parentheses, e.g. "cannot read /etc/ssh/sshd_config: permission denied (EACCES)", so callers
// can tell "absent" from "unreadable" with `isMissing`.
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { FileInput, HostAccess } from './types.js';

/** Files larger than this are not read (the probe reports them unknown rather than parse half a file). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Default timeout of `run`. */
export const DEFAULT_RUN_TIMEOUT_MS = 10_000;
const MAX_SYMLINKS = 40;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

const HUMAN: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EFBIG: `larger than the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit`,
  EIO: 'input/output error',
  ENXIO: 'no such device',
  EESCAPE: 'path escapes the host root',
  ENOTREG: 'not a regular file',
};

class HostPathError extends Error {
  constructor(readonly code: string) {
    super(HUMAN[code] ?? code);
  }
}

function errCode(e: unknown): string {
  if (e instanceof HostPathError) return e.code;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function describe(e: unknown): string {
  const code = errCode(e);
  const human = HUMAN[code] ?? (e instanceof Error ? e.message : String(e));
  return `${human} (${code})`;
}

/** True when a FileInput's error says the file (or a parent) does not exist — an answer, not a failure. */
export function isMissing(input: FileInput): boolean {
  return input.content === undefined && /\((ENOENT|ENOTDIR)\)$/.test(input.error ?? '');
}

/** Normalises a host path: absolute, no '.' or empty segments (`..` is kept for the resolver to judge). */
function hostSegments(p: string): string[] {
  return p.split('/').filter((s) => s !== '' && s !== '.');
}

/** The path on this machine for a host path under `root`, lexically (no symlink resolution). */
export function localPath(root: string, hostPath: string): string {
  const segs = hostSegments(hostPath);
  return path.join(root, ...segs);
}

/**
 * Resolves `hostPath` under `root` with chroot semantics; returns the local path and the host path it
 * resolved to. Throws HostPathError('EESCAPE') when `..` climbs above root, ENOENT/ENOTDIR/ELOOP as the kernel.
 * With followFinal false the last component is not followed when it is a symlink (lstat semantics).
 */
async function resolveInRoot(root: string, hostPath: string, followFinal: boolean): Promise<{ local: string; host: string }> {
  const queue = hostSegments(hostPath);
  const done: string[] = [];
  let links = 0;
  while (queue.length > 0) {
    const seg = queue.shift()!;
    if (seg === '..') {
      if (done.length === 0) {
        // On the real root, '..' of '/' is '/' (there is nothing above it to escape to), as the kernel does.
        // Under any other root it would leave the tree: refused.
        if (root === '/') continue;
        throw new HostPathError('EESCAPE');
      }
      done.pop();
      continue;
    }
    done.push(seg);
    const local = path.join(root, ...done);
    let st;
    try {
      st = await lstat(local);
    } catch (e) {
      if (errCode(e) === 'ENOENT' && queue.length === 0) break; // the final component may be absent; caller decides
      throw e;
    }
    if (st.isSymbolicLink() && (queue.length > 0 || followFinal)) {
      if (++links > MAX_SYMLINKS) throw new HostPathError('ELOOP');
      const target = await readlink(local);
      done.pop();
      if (target.startsWith('/')) done.length = 0;
      queue.unshift(...hostSegments(target));
      continue;
    }
    if (queue.length > 0 && !st.isDirectory()) throw new HostPathError('ENOTDIR');
  }
  return { local: path.join(root, ...done), host: '/' + done.join('/') };
}

async function readCapped(root: string, hostPath: string): Promise<FileInput> {
  const shown = '/' + hostSegments(hostPath).join('/');
  try {
    const { local } = await resolveInRoot(root, hostPath, true);
    // O_NOFOLLOW: the last component was resolved above; if it became a symlink since, fail rather than follow.
    // O_NONBLOCK: a FIFO planted at the path must not hang the probe (it is refused below anyway).
    const fh = await open(local, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | fsc.O_NOCTTY);
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new HostPathError('EISDIR');
      if (!st.isFile()) throw new HostPathError('ENOTREG');
      if (st.size > MAX_FILE_BYTES) throw new HostPathError('EFBIG');
      // /proc files report size 0: read until EOF, never more than the cap (+1 byte to notice overflow).
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buf = Buffer.alloc(Math.min(64 * 1024, MAX_FILE_BYTES + 1 - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
        if (total > MAX_FILE_BYTES) throw new HostPathError('EFBIG');
      }
      return { path: shown, content: Buffer.concat(chunks).toString('utf8') };
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { path: shown, error: `cannot read ${shown}: ${describe(e)}` };
  }
}

// ---- glob -------------------------------------------------------------------------------------------------

/** True when a path segment has an unescaped *, ? or a [...] class. */
export function hasMagic(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[' && segment.indexOf(']', i + 2) !== -1) return true;
  }
  return false;
}

function unescapeSegment(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

const reEscape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Compiles one path segment of a glob (fnmatch without FNM_PERIOD handling, done by the caller) to a RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) {
      re += reEscape(segment[++i]!);
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      // A bracket expression: [abc], [a-z], [!x] / [^x]; a ']' right after the opening (or negation) is literal.
      let j = i + 1;
      let negate = false;
      if (segment[j] === '!' || segment[j] === '^') {
        negate = true;
        j++;
      }
      const start = j;
      if (segment[j] === ']') j++;
      while (j < segment.length && segment[j] !== ']') j++;
      if (j >= segment.length) {
        re += '\\['; // unterminated: a literal '['
        continue;
      }
      let cls = '';
      for (let k = start; k < j; k++) {
        const ch = segment[k]!;
        if (ch === '\\' && k + 1 < j) cls += reEscape(segment[++k]!);
        else if (ch === '-' && k > start && k + 1 < j) cls += '-';
        else cls += reEscape(ch);
      }
      re += `[${negate ? '^' : ''}${cls}]`;
      i = j;
    } else {
      re += reEscape(c);
    }
  }
  return new RegExp(`^${re}$`, 's');
}

/** The directory to watch for a glob (the part before the first wildcard segment); undefined for a literal path. */
export function watchDirOf(pattern: string): string | undefined {
  const segs = pattern.split('/');
  const i = segs.findIndex((s) => /[*?[]/.test(s));
  if (i < 0) return undefined;
  return path.posix.normalize(segs.slice(0, i).join('/') || '/');
}

/** Byte-order comparison, as glob(3) sorts in the C locale. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Expands `pattern` (a host path; relative means relative to '/') under `root`. Sorted, deduplicated, host
 * paths. Like glob(3) without GLOB_ERR/GLOB_PERIOD: wildcards do not match a leading '.', a literal path is
 * returned only if it exists (a dangling symlink exists). A directory that cannot be listed for a reason other
 * than not existing (EACCES, EIO, ELOOP...) makes it throw, so callers can say "unknown" instead of "none".
 */
async function globUnder(root: string, pattern: string): Promise<string[]> {
  const segs = hostSegments(pattern);
  let current: string[] = ['/'];
  for (let idx = 0; idx < segs.length; idx++) {
    const seg = segs[idx]!;
    const next: string[] = [];
    if (!hasMagic(seg)) {
      const lit = unescapeSegment(seg);
      for (const dir of current) next.push(lit === '..' ? path.posix.dirname(dir) : path.posix.join(dir, lit));
    } else {
      const re = segmentRegExp(seg);
      const dotOk = seg.startsWith('.');
      for (const dir of current) {
        let names: string[];
        try {
          const { local } = await resolveInRoot(root, dir, true);
          names = await readdir(local);
        } catch (e) {
          // Not a directory, or a symlink that leads nowhere usable: no match, as glob(3) without GLOB_ERR.
          // Any other failure (EACCES, EIO) means entries may exist that we cannot see: an error, not "none".
          const code = errCode(e);
          if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EESCAPE') continue;
          throw new Error(`cannot list ${dir}: ${describe(e)}`, { cause: e });
        }
        for (const name of names) {
          if (name.startsWith('.') && !dotOk) continue;
          if (re.test(name)) next.push(path.posix.join(dir, name));
        }
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  // Keep only what exists (literal segments were not checked on the way).
  const out: string[] = [];
  for (const p of new Set(current)) {
    try {
      const { local } = await resolveInRoot(root, p, false);
      await lstat(local);
      out.push(p);
    } catch (e) {
      const code = errCode(e);
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EESCAPE') continue;
      throw new Error(`cannot check ${p}: ${describe(e)}`, { cause: e });
    }
  }
  return out.sort(byteOrder);
}

// ---- run --------------------------------------------------------------------------------------------------

type RunResult = Awaited<ReturnType<HostAccess['run']>>;

async function runUnder(root: string, cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const inChroot = root !== '/';
  const file = inChroot ? 'chroot' : cmd;
  const argv = inChroot ? [root, cmd, ...args] : args;
  try {
    const r = await execa(file, argv, {
      reject: false,
      shell: false,
      stdin: 'ignore',
      timeout: timeoutMs,
      maxBuffer: MAX_OUTPUT_BYTES,
      encoding: 'utf8',
      stripFinalNewline: false,
      // Parsers read English words; the C locale keeps them (and error messages) stable.
      env: { LC_ALL: 'C', LANG: 'C' },
    });
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) return { stdout, stderr, error: `${cmd} timed out after ${timeoutMs} ms` };
    if (r.exitCode === undefined) {
      const reason = (r as { code?: string }).code === 'ENOENT' ? `${file} not found` : (r.shortMessage ?? `${file} could not start`);
      return { stdout, stderr, error: reason };
    }
    // chroot(1) exits 125 when it cannot chroot, 126/127 when the command cannot be run inside: the command
    // did not start, which the contract reports as exitCode undefined.
    if (inChroot && r.exitCode >= 125 && r.exitCode <= 127 && /^chroot: /m.test(stderr)) {
      return { stdout, stderr, error: stderr.trim() };
    }
    return { exitCode: r.exitCode, stdout, stderr };
  } catch (e) {
    return { stdout: '', stderr: '', error: e instanceof Error ? e.message : String(e) };
  }
}

// ---- the HostAccess ---------------------------------------------------------------------------------------

export function createHostAccess(root = '/'): HostAccess {
  const absRoot = path.resolve(root);
  let realRoot: Promise<string> | undefined;
  // Resolve the root itself once (it may be a symlink, e.g. /tmp on some systems); fall back to it as given.
  const base = (): Promise<string> => (realRoot ??= realpath(absRoot).catch(() => absRoot));
  return {
    root: absRoot,
    readFile: async (p) => readCapped(await base(), p),
    glob: async (pattern) => globUnder(await base(), pattern),
    run: (cmd, args, opts) => runUnder(absRoot, cmd, args, opts?.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS),
  };
}
