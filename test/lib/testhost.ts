// Test hosts: throwaway Debian bookworm machines for every test that touches a host (the agent, the
// reconciler's presets, the probe catalog). Never run host-touching code against the machine itself.
//
// - A base root filesystem is made once with `debootstrap --variant=minbase` and cached as a tarball OUTSIDE
//   the clone (${HYPRBOX_TESTHOST_CACHE:-/var/cache/hyprbox-testhost}), keyed by a hash of suite, variant,
//   package list, mirror, architecture and TESTHOST_IMAGE_VERSION. Parallel test processes build it once
//   (a pid lock file; the tarball appears by atomic rename, so even a broken lock can only cost time).
// - Each host is that tarball unpacked into a fresh directory (/var/tmp/hbx-<id>, with a tmpfs mounted on it
//   unless HYPRBOX_TESTHOST_TMPFS=0: unpacking is 10x faster than on disk) with /proc, a minimal /dev
//   (a small tmpfs with null, zero, full, random, urandom, tty, a private devpts and a /dev/shm tmpfs — not a
//   bind of the machine's /dev, so nothing inside can reach the machine's disks and a stray `rm -rf` inside
//   the host cannot delete the machine's device nodes), and optionally a read-only /sys.
// - Commands run as `[ip netns exec <ns>] unshare --uts --mount -- chroot <root> ...` with a clean
//   environment: each command gets the host's own hostname (its own UTS namespace) and its own mount
//   namespace (mounts made inside a host never show up on the machine).
// - A networked host lives in its own network namespace `hbx-<id>`: a veth pair, 10.X.Y.1/30 on the machine
//   side (hostAddress), 10.X.Y.2/30 + lo inside (address). Servers the test starts must listen on hostAddress
//   (or 0.0.0.0), not 127.0.0.1. The /30 is leased with an O_EXCL file so parallel processes never collide.
// - destroy() kills every process whose root is the host (or that lives in its network namespace),
//   unmounts everything under it (lazily when busy), deletes the namespace and veth and removes the
//   directory — only after checking that nothing is mounted under it any more.
// - Nothing leaks: hosts still alive at process exit/SIGINT/SIGTERM/SIGHUP are destroyed synchronously, and
//   each host is recorded in the cache's state dir so a later run cleans up after a process that was killed
//   with SIGKILL.
//
// Known limits (no PID namespace, no systemd): /proc inside a host shows the machine's processes, and there
// is no service manager — /usr/sbin/policy-rc.d exits 101 so package scripts never start daemons (which would
// otherwise listen on the machine's own network for a non-networked host).
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statfsSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants, hostname as machineHostname, tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** Bump to rebuild every cached base image (it is part of the cache key). */
export const TESTHOST_IMAGE_VERSION = 1;
export const SUITE = 'bookworm';
export const VARIANT = 'minbase';
/** What an agent host needs on top of minbase; keep it lean. */
export const DEFAULT_PACKAGES: readonly string[] = ['openssh-server', 'sudo', 'procps', 'iproute2', 'ca-certificates'];
/**
 * The fix presets' own image (pass as `packages`): what presets/*.yaml manage, installed but not configured,
 * because a test host has no network to install it from. A separate cached image, so the default one stays lean.
 */
export const PRESET_PACKAGES: readonly string[] = [
  'certbot', 'cron', 'fail2ban', 'postgresql', 'prometheus-node-exporter', 'restic', 'ufw', 'unattended-upgrades',
  // debootstrap does not resolve virtual packages: python3-cryptography (certbot) needs the cffi backend named.
  'python3-cffi-backend',
];
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** The PATH of every command run inside a host (and of the harness' own helper commands). */
export const HOST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

const BUILD_TIMEOUT_MS = 45 * 60_000;
const LOCK_WAIT_MS = 60 * 60_000;
const FOREIGN_LOCK_STALE_MS = 2 * 60 * 60_000;
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const KILL_WAIT_MS = 10_000;
const MIN_FREE_BYTES = 2 * 1024 ** 3;

// ------------------------------------------------------------------------------------------------ helpers

export const cacheDir = (): string => resolve(process.env.HYPRBOX_TESTHOST_CACHE || '/var/cache/hyprbox-testhost');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const tail = (text: string, lines = 30): string => text.trimEnd().split('\n').slice(-lines).join('\n');
const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;
const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

function which(cmd: string): string | undefined {
  for (const dir of HOST_PATH.split(':')) {
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a machine-side helper command (never inside a host) with a clean environment. */
function run(file: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return collect(
    spawn(file, args, { env: { PATH: HOST_PATH, LC_ALL: 'C', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true }),
    opts.input,
    opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
  );
}

function collect(child: ChildProcess, input: string | undefined, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group (spawned detached)
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) stderr += `\n[testhost: killed after ${timeoutMs} ms]\n`;
      resolvePromise({ code: timedOut ? 124 : (code ?? 128 + signalNumber(signal)), stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    });
    child.stdin?.on('error', () => undefined); // the command may exit without reading its input
    child.stdin?.end(input ?? '');
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}

async function runOk(file: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`testhost: \`${[file, ...args].join(' ')}\` failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
  return r;
}

function runSyncQuiet(file: string, args: string[]): number {
  const r = spawnSync(file, args, { env: { PATH: HOST_PATH, LC_ALL: 'C' }, stdio: 'ignore', timeout: 30_000 });
  return r.status ?? -1;
}

function bin(cmd: string): string {
  const p = which(cmd);
  if (!p) throw new Error(`testhost: '${cmd}' is missing on this machine (PATH ${HOST_PATH})`);
  return p;
}

/** Installs a Debian package when its command is missing (only as root); one clear line otherwise. */
async function needCommand(cmd: string, pkg: string): Promise<string> {
  const found = which(cmd);
  if (found) return found;
  if (!isRoot()) throw new Error(`testhost: '${cmd}' is missing: run 'sudo apt-get install -y ${pkg}' (and run host tests as root)`);
  const aptGet = bin('apt-get');
  console.error(`testhost: installing ${pkg} (provides ${cmd})`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run(aptGet, ['install', '-y', '-qq', pkg], { env, timeoutMs: 10 * 60_000 });
  if (r.code !== 0) {
    await run(aptGet, ['update', '-qq'], { env, timeoutMs: 10 * 60_000 });
    r = await run(aptGet, ['install', '-y', '-qq', pkg], { env, timeoutMs: 10 * 60_000 });
  }
  if (r.code !== 0) throw new Error(`testhost: \`apt-get install -y ${pkg}\` failed (exit ${r.code}):\n${tail(r.stderr)}`);
  return bin(cmd);
}

export function requireRoot(): void {
  if (!isRoot()) {
    throw new Error('testhost: test hosts need root (chroot, mount, ip netns); run the host tests as root, e.g. `sudo -E npx mocha ...`');
  }
}

// ------------------------------------------------------------------------------------------ pids and locks

interface Owner {
  pid: number;
  /** /proc/<pid>/stat start time, so a recycled pid is not mistaken for the owner. */
  start: string;
  host: string;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const self = (): Owner => ({ pid: process.pid, start: procStart(process.pid) ?? '', host: machineHostname() });

function ownerAlive(owner: Owner, mtimeMs: number): boolean {
  if (owner.host !== machineHostname()) return Date.now() - mtimeMs < FOREIGN_LOCK_STALE_MS; // a cache shared between machines
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (errCode(err) === 'ESRCH') return false;
  }
  const start = procStart(owner.pid);
  return start === undefined ? false : !owner.start || start === owner.start;
}

/** Creates `path` exclusively with our owner record; false if it exists. */
function tryCreateExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwnerFile(path: string): { owner: Owner; raw: string; mtimeMs: number } | undefined {
  try {
    const raw = readFileSync(path, 'utf8');
    const mtimeMs = statSync(path).mtimeMs;
    const parsed = JSON.parse(raw) as { owner?: Owner };
    if (!parsed.owner) return undefined;
    return { owner: parsed.owner, raw, mtimeMs };
  } catch {
    return undefined;
  }
}

/** Removes a lock whose owner is dead — only if it is still the very lock we judged stale. True if we did. */
function breakStaleLock(path: string, seenRaw: string): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else broke it first
  }
  let raw = '';
  try {
    raw = readFileSync(aside, 'utf8');
  } catch {
    // vanished
  }
  if (raw !== seenRaw) {
    // We took a fresh, live lock by mistake: put it back unless a new one exists already (then at worst two
    // processes build; the atomic rename of the result keeps that correct).
    try {
      renameSync(aside, path);
      return false;
    } catch {
      // fall through
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone
  }
  return raw === seenRaw;
}

// ------------------------------------------------------------------------------------------- base image

export interface BaseImageOptions {
  /** Packages added to DEFAULT_PACKAGES (each distinct list is its own cached image). */
  packages?: string[];
}

export interface BaseImageSpec {
  suite: string;
  variant: string;
  packages: string[];
  mirror: string;
  arch: string;
  version: number;
}

/** The Debian mirror this machine's apt uses for bookworm (sources.list and sources.list.d), or deb.debian.org. */
export function debianMirror(): string {
  if (process.env.HYPRBOX_TESTHOST_MIRROR) return process.env.HYPRBOX_TESTHOST_MIRROR.replace(/\/+$/, '');
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d').sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
    }
  } catch {
    // no sources.list.d
  }
  const usable = (uri: string, suites: string[]): boolean =>
    /^https?:\/\//.test(uri) && suites.includes(SUITE) && !/security/.test(uri);
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string): string[] => {
          const m = new RegExp(`^${name}:(.*)$`, 'mi').exec(stanza);
          return m ? m[1]!.trim().split(/\s+/) : [];
        };
        if (field('Enabled')[0]?.toLowerCase() === 'no' || !field('Types').includes('deb')) continue;
        const suites = field('Suites');
        for (const uri of field('URIs')) if (usable(uri, suites)) return uri.replace(/\/+$/, '');
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && usable(m[1]!, [m[2]!])) return m[1]!.replace(/\/+$/, '');
      }
    }
  }
  return DEFAULT_MIRROR;
}

function debianArch(): string {
  const dpkg = which('dpkg');
  if (dpkg) {
    const r = spawnSync(dpkg, ['--print-architecture'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

export function baseImageSpec(opts: BaseImageOptions = {}): BaseImageSpec {
  const packages = [...new Set([...DEFAULT_PACKAGES, ...(opts.packages ?? [])])].sort();
  for (const p of packages) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new Error(`testhost: not a Debian package name: '${p}'`);
  return { suite: SUITE, variant: VARIANT, packages, mirror: debianMirror(), arch: debianArch(), version: TESTHOST_IMAGE_VERSION };
}

export function baseImageKey(spec: BaseImageSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

const imageStem = (spec: BaseImageSpec): string => `debian-${spec.suite}-${spec.variant}-${spec.arch}-${baseImageKey(spec)}`;

function findImage(spec: BaseImageSpec): string | undefined {
  for (const ext of ['tar.zst', 'tar.gz']) {
    const p = join(cacheDir(), `${imageStem(spec)}.${ext}`);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The cached base image for this package list (path of a .tar.zst or .tar.gz), built first if needed: one
 * process builds (lock file), the others wait for it.
 */
export async function ensureBaseImage(opts: BaseImageOptions = {}): Promise<string> {
  const spec = baseImageSpec(opts);
  const cached = findImage(spec);
  if (cached) return cached;

  if (!isRoot()) {
    if (!which('debootstrap')) throw new Error("testhost: debootstrap is missing: run 'sudo apt-get install -y debootstrap' and run host tests as root");
    requireRoot();
  }
  await needCommand('debootstrap', 'debootstrap');
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const lockPath = join(dir, `${imageStem(spec)}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announcedWait = false;
  for (;;) {
    const done = findImage(spec);
    if (done) return done;
    if (tryCreateExclusive(lockPath, JSON.stringify({ owner: self(), spec }))) {
      try {
        return findImage(spec) ?? (await buildBaseImage(spec));
      } finally {
        try {
          unlinkSync(lockPath);
        } catch {
          // already gone
        }
      }
    }
    const holder = readOwnerFile(lockPath);
    if (holder && !ownerAlive(holder.owner, holder.mtimeMs)) {
      if (breakStaleLock(lockPath, holder.raw)) console.error(`testhost: removed the stale base-image lock of dead pid ${holder.owner.pid} (${lockPath})`);
      continue;
    }
    if (!announcedWait) {
      announcedWait = true;
      console.error(`testhost: waiting for pid ${holder?.owner.pid ?? '?'} to build the test-host base image (${lockPath})`);
    }
    if (Date.now() > deadline) throw new Error(`testhost: gave up after ${LOCK_WAIT_MS / 60_000} min waiting for ${lockPath}`);
    await sleep(1000);
  }
}

async function buildBaseImage(spec: BaseImageSpec): Promise<string> {
  const dir = cacheDir();
  const stem = imageStem(spec);
  const zstd = which('zstd');
  const ext = zstd ? 'tar.zst' : 'tar.gz';
  const finalPath = join(dir, `${stem}.${ext}`);
  console.error(
    `testhost: building the Debian ${spec.suite} test-host base image once (debootstrap --variant=${spec.variant}, ` +
      `+${spec.packages.join(',')}, from ${spec.mirror}) into ${finalPath}; this takes minutes, later runs reuse it`,
  );
  const started = Date.now();
  const work = join(dir, `.build-${stem}-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(work, { mode: 0o700 });
  const rootfs = join(work, 'rootfs');
  const tmp = join(dir, `.${stem}.${ext}.${process.pid}.tmp`);
  try {
    const args = [`--variant=${spec.variant}`, `--include=${spec.packages.join(',')}`, `--arch=${spec.arch}`, spec.suite, rootfs, spec.mirror];
    const r = await run(bin('debootstrap'), args, { timeoutMs: BUILD_TIMEOUT_MS, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.code !== 0) {
      let log = '';
      try {
        log = `\n--- debootstrap/debootstrap.log (tail):\n${tail(readFileSync(join(rootfs, 'debootstrap', 'debootstrap.log'), 'utf8'), 20)}`;
      } catch {
        // no log
      }
      throw new Error(`testhost: debootstrap failed (exit ${r.code}): debootstrap ${args.join(' ')}\n${tail(r.stderr || r.stdout)}${log}`);
    }
    await unmountUnder(rootfs); // debootstrap unmounts its /proc and /sys itself; be sure before packing
    customizeBase(rootfs);
    await runOk(bin('tar'), ['--create', '--file', tmp, zstd ? '--zstd' : '--gzip', '--numeric-owner', '--one-file-system', '-C', rootfs, '.'], {
      timeoutMs: 10 * 60_000,
    });
    writeFileSync(join(dir, `${stem}.json`), JSON.stringify({ ...spec, key: baseImageKey(spec), builtAt: new Date().toISOString() }, null, 2) + '\n');
    renameSync(tmp, finalPath);
    const mb = (statSync(finalPath).size / 1024 ** 2).toFixed(0);
    console.error(`testhost: base image ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${mb} MB): ${finalPath}`);
    return finalPath;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // renamed into place, or never written
    }
    await unmountUnder(work);
    if (mountsUnder(work).length === 0) await run(bin('rm'), ['-rf', '--one-file-system', '--', work]);
  }
}

/** What every test host gets, on top of debootstrap's result. */
function customizeBase(rootfs: string): void {
  const inside = (p: string): string => resolveInRoot(rootfs, p);
  // Each host generates its own SSH host keys (`ssh-keygen -A`), as a cloud image would.
  const sshDir = inside('/etc/ssh');
  if (existsSync(sshDir)) for (const f of readdirSync(sshDir)) if (f.startsWith('ssh_host_')) unlinkSync(join(sshDir, f));
  // No init system in a test host: package scripts must not start daemons (they would run on the machine's
  // network for a non-networked host). Tests start what they need themselves.
  writeFileSync(inside('/usr/sbin/policy-rc.d'), '#!/bin/sh\n# hyprbox test host: no service manager; never start daemons from package scripts\nexit 101\n', { mode: 0o755 });
  chmodSync(inside('/usr/sbin/policy-rc.d'), 0o755);
  writeFileSync(inside('/etc/hostname'), 'testhost\n');
  try {
    unlinkSync(resolveInRoot(rootfs, '/etc/resolv.conf', false));
  } catch {
    // not there
  }
  writeFileSync(inside('/etc/resolv.conf'), '# hyprbox test host: no DNS\n');
  const archives = inside('/var/cache/apt/archives');
  if (existsSync(archives)) for (const f of readdirSync(archives)) if (f.endsWith('.deb')) unlinkSync(join(archives, f));
}

// -------------------------------------------------------------------------------------------- safe paths

function assertInside(root: string, p: string): string {
  const r = resolve(p);
  if (r !== root && !r.startsWith(root + sep)) throw new Error(`testhost: refusing to touch ${r}: outside the host root ${root}`);
  if (root === '/' || root.split(sep).filter(Boolean).length < 2) throw new Error(`testhost: refusing a host root of ${root}`);
  return r;
}

/**
 * The machine path of `p` inside the host, resolving symlinks the way the chroot would (an absolute link
 * target is relative to the host root), so `..` and links can never lead outside it.
 */
export function resolveInRoot(root: string, p: string, followLast = true): string {
  if (!p.startsWith('/')) throw new Error(`testhost: a path inside a host must be absolute (got '${p}')`);
  const todo = p.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, c);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // missing: the rest is lexical
    }
    if (isLink && (todo.length > 0 || followLast)) {
      if (++links > 40) throw new Error(`testhost: too many symlinks resolving ${p} in ${root}`);
      const target = readlinkSync(candidate);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(c);
  }
  return assertInside(root, join(root, ...done));
}

// ------------------------------------------------------------------------------------ mounts, processes

function decodeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `dir` in our mount namespace, innermost (and most recent) first. */
export function mountsUnder(dir: string): string[] {
  const points: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = decodeMountPath(mp);
    if (p === dir || p.startsWith(dir + '/')) points.push(p);
  }
  return points.reverse().sort((a, b) => b.split('/').length - a.split('/').length);
}

async function unmountUnder(dir: string): Promise<void> {
  const umount = bin('umount');
  for (let round = 0; round < 8; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) {
      if ((await run(umount, [p])).code !== 0) await run(umount, ['-l', p]);
    }
  }
}

function unmountUnderSync(dir: string): void {
  const umount = which('umount') ?? '/bin/umount';
  for (let round = 0; round < 8; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) if (runSyncQuiet(umount, [p]) !== 0) runSyncQuiet(umount, ['-l', p]);
  }
}

/** Processes whose root directory is `root` (or below it), or that live in network namespace `netns`. */
export function processesOf(root: string, netns?: string): number[] {
  let rootId: string | undefined;
  try {
    const st = statSync(root);
    rootId = `${st.dev}:${st.ino}`;
  } catch {
    // gone
  }
  let netId: string | undefined;
  if (netns) {
    try {
      const st = statSync(`/run/netns/${netns}`);
      netId = `${st.dev}:${st.ino}`;
    } catch {
      // not (or no longer) there
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const link = readlinkSync(`/proc/${pid}/root`);
      if (link === root || link.startsWith(root + '/')) {
        pids.push(pid);
        continue;
      }
      if (rootId) {
        const st = statSync(`/proc/${pid}/root`);
        if (`${st.dev}:${st.ino}` === rootId) {
          pids.push(pid);
          continue;
        }
      }
      if (netId) {
        const st = statSync(`/proc/${pid}/ns/net`);
        if (`${st.dev}:${st.ino}` === netId) pids.push(pid);
      }
    } catch {
      // exited, or a zombie
    }
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// -------------------------------------------------------------------------------------------- networking

interface Lease {
  path: string;
  x: number;
  y: number;
}

const leaseDir = (): string => join(cacheDir(), 'leases');
const stateDir = (): string => join(cacheDir(), 'hosts');

function parseCidr(s: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(s);
  if (!m) return undefined;
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return [ip, m[5] === undefined ? 32 : Number(m[5])];
}

function overlaps(a: [number, number], b: [number, number]): boolean {
  const bits = Math.min(a[1], b[1]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((a[0] & mask) >>> 0) === ((b[0] & mask) >>> 0);
}

/** Prefixes the machine already uses (addresses and routes, default route excluded). */
async function prefixesInUse(): Promise<Array<[number, number]>> {
  const ip = bin('ip');
  const out = (await runOk(ip, ['-o', '-4', 'addr', 'show'])).stdout + '\n' + (await runOk(ip, ['-4', 'route', 'show', 'table', 'all'])).stdout;
  const used: Array<[number, number]> = [];
  for (const tok of out.split(/\s+/)) {
    const c = /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(tok) ? parseCidr(tok) : undefined;
    if (c && c[1] > 0 && c[0] >>> 24 !== 127) used.push(c);
  }
  return used;
}

/** Leases a free 10.X.Y.0/30 (X in 64..254) with an exclusive file, so parallel processes never share one. */
async function leaseSubnet(hostId: string): Promise<Lease> {
  mkdirSync(leaseDir(), { recursive: true });
  const used = await prefixesInUse();
  for (let attempt = 0; attempt < 200; attempt++) {
    const x = 64 + randomBytes(1)[0]! % 191;
    const y = randomBytes(1)[0]!;
    const net: [number, number] = [parseCidr(`10.${x}.${y}.0`)![0], 30];
    if (used.some((u) => overlaps(u, net))) continue;
    const path = join(leaseDir(), `10.${x}.${y}.0-30`);
    if (tryCreateExclusive(path, JSON.stringify({ owner: self(), host: hostId }))) return { path, x, y };
  }
  throw new Error('testhost: no free 10.X.Y.0/30 subnet found for a test host');
}

// ------------------------------------------------------------------------------------------- host state

interface HostRecord {
  owner: Owner;
  id: string;
  name: string;
  root: string;
  netns?: string;
  hostVeth?: string;
  lease?: string;
  address?: string;
  hostAddress?: string;
}

const recordPath = (id: string): string => join(stateDir(), `${id}.json`);

function saveRecord(rec: HostRecord): void {
  mkdirSync(stateDir(), { recursive: true });
  const tmp = `${recordPath(rec.id)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\n');
  renameSync(tmp, recordPath(rec.id));
}

function releaseLease(rec: HostRecord): void {
  if (!rec.lease) return;
  const held = readOwnerFile(rec.lease);
  const ours = held && (JSON.parse(held.raw) as { host?: string }).host === rec.id;
  if (ours) {
    try {
      unlinkSync(rec.lease);
    } catch {
      // gone
    }
  }
}

/** Refuses to delete anything that is not an unmounted test-host directory. */
function assertRemovable(rec: HostRecord): void {
  const parts = rec.root.split('/').filter(Boolean);
  if (!rec.root.startsWith('/') || parts.length < 2 || !basename(rec.root).startsWith('hbx-') || resolve(rec.root) !== rec.root) {
    throw new Error(`testhost: refusing to remove ${rec.root}: not a test-host directory`);
  }
  const left = mountsUnder(rec.root);
  if (left.length > 0) throw new Error(`testhost: not removing ${rec.root}: still mounted: ${left.join(', ')}`);
}

function forget(rec: HostRecord): void {
  releaseLease(rec);
  try {
    unlinkSync(recordPath(rec.id));
  } catch {
    // gone
  }
}

const RM_ARGS = (root: string): string[] => ['-rf', '--one-file-system', '--', root];

/** Tears a host down completely: processes, mounts, network, directory. Throws (keeping the directory) if
 *  something stays mounted under it. */
async function teardown(rec: HostRecord): Promise<void> {
  const deadline = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const pids = processesOf(rec.root, rec.netns);
    if (pids.length === 0 || Date.now() > deadline) break;
    killAll(pids);
    await sleep(25);
  }
  await unmountUnder(rec.root);
  const ip = which('ip');
  if (ip && rec.hostVeth) await run(ip, ['link', 'del', rec.hostVeth]);
  if (ip && rec.netns) await run(ip, ['netns', 'del', rec.netns]);
  assertRemovable(rec);
  if (existsSync(rec.root)) await runOk(bin('rm'), RM_ARGS(rec.root), { timeoutMs: 5 * 60_000 });
  forget(rec);
}

/** The same without an event loop, for process 'exit' and signal handlers. */
function teardownSync(rec: HostRecord): void {
  const deadline = Date.now() + 3000;
  for (;;) {
    const pids = processesOf(rec.root, rec.netns);
    if (pids.length === 0 || Date.now() > deadline) break;
    killAll(pids);
    sleepSync(25);
  }
  unmountUnderSync(rec.root);
  const ip = which('ip');
  if (ip && rec.hostVeth) runSyncQuiet(ip, ['link', 'del', rec.hostVeth]);
  if (ip && rec.netns) runSyncQuiet(ip, ['netns', 'del', rec.netns]);
  assertRemovable(rec);
  if (existsSync(rec.root)) runSyncQuiet(which('rm') ?? '/bin/rm', RM_ARGS(rec.root));
  forget(rec);
}

const live = new Map<string, HostRecord>();
let hooksInstalled = false;
let swept = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const destroyAll = (): void => {
    for (const rec of live.values()) {
      try {
        teardownSync(rec);
      } catch (err) {
        console.error(`testhost: cleanup of ${rec.root} failed: ${(err as Error).message}`);
      }
    }
    live.clear();
  };
  process.on('exit', destroyAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // First in line (other handlers, e.g. etcd-server's, re-raise only when they are the last listener):
    // clean up, step aside, and re-raise ourselves when nobody else is left to decide.
    const onSignal = (): void => {
      destroyAll();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.prependListener(signal, onSignal);
  }
}

/** Tears down hosts left behind by test processes that died without cleaning up (e.g. SIGKILL). */
export async function sweepStaleHosts(): Promise<number> {
  let n = 0;
  let files: string[];
  try {
    files = readdirSync(stateDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return 0;
  }
  for (const f of files) {
    const path = join(stateDir(), f);
    const held = readOwnerFile(path);
    if (!held || ownerAlive(held.owner, held.mtimeMs)) continue;
    const claimed = `${path}.sweep-${process.pid}`;
    try {
      renameSync(path, claimed); // only one sweeper wins
    } catch {
      continue;
    }
    const rec = JSON.parse(held.raw) as HostRecord;
    console.error(`testhost: cleaning up test host ${rec.root} left by dead pid ${rec.owner.pid}`);
    try {
      await teardown(rec);
      unlinkSync(claimed);
      n++;
    } catch (err) {
      console.error(`testhost: could not clean up ${rec.root}: ${(err as Error).message}`);
    }
  }
  return n;
}

// ------------------------------------------------------------------------------------------------- hosts

export interface ExecOptions {
  /** Added to the clean environment (PATH=/usr/sbin:/usr/bin:/sbin:/bin, HOME=/root). */
  env?: Record<string, string>;
  /** Written to the command's stdin (then closed). */
  input?: string;
  /** Default 60 s; on timeout the process group is killed and code is 124. */
  timeoutMs?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  stdio?: StdioOptions;
  /** Own process group (so a test can kill the group). Default false. */
  detached?: boolean;
}

export interface CreateTestHostOptions {
  /** Hostname (also the host's UTS hostname for every command); default hbx-<random>. */
  name?: string;
  /** Own network namespace with a veth pair to the machine. */
  network?: boolean;
  /** Packages on top of DEFAULT_PACKAGES (a separate cached base image per list). */
  packages?: string[];
  /** Mount a read-only sysfs at /sys (for a networked host it shows the host's own interfaces). */
  sys?: boolean;
  /**
   * A sysvinit-style host: /run/initctl exists (so the agent's probes and the presets ask `service`) and
   * package init scripts may start daemons (policy-rc.d allows them). Needs `network`: the daemons (ufw's
   * iptables, fail2ban, node_exporter) must act on the host's own network namespace, never the machine's.
   */
  services?: boolean;
}

export interface TestHost {
  /** The host's root directory on the machine. */
  readonly root: string;
  readonly name: string;
  /** The host's own address (networked hosts): 10.X.Y.2. */
  readonly address?: string;
  /** The machine's address on the host's link (networked hosts): 10.X.Y.1 — where test servers listen. */
  readonly hostAddress?: string;
  readonly netns?: string;
  /** The machine path of a path inside the host (symlinks resolved within the host, never outside it). */
  path(p: string): string;
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** A long-running command (e.g. the agent); its ChildProcess pid is the command's own pid. */
  spawn(cmd: string[], opts?: SpawnOptions): ChildProcess;
  writeFile(path: string, content: string | Buffer, mode?: number): void;
  readFile(path: string): string;
  /** Bind-mounts a machine file or directory into the host (read-only by default), e.g. the node binary.
   *  Do it before starting the processes that need it: each command has its own mount namespace. */
  bind(source: string, target: string, opts?: { readonly?: boolean }): Promise<void>;
  destroy(): Promise<void>;
}

const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Runs inside the chroot, in the command's own UTS namespace: set the hostname, then become the command.
const WRAPPER = 'echo "$1" > /proc/sys/kernel/hostname || exit 125; shift; exec "$@"';

class Host implements TestHost {
  private destroying?: Promise<void>;

  constructor(private readonly rec: HostRecord) {}

  get root(): string {
    return this.rec.root;
  }
  get name(): string {
    return this.rec.name;
  }
  get address(): string | undefined {
    return this.rec.address;
  }
  get hostAddress(): string | undefined {
    return this.rec.hostAddress;
  }
  get netns(): string | undefined {
    return this.rec.netns;
  }

  path(p: string): string {
    return resolveInRoot(this.rec.root, p);
  }

  private argv(cmd: string[]): [string, string[]] {
    if (cmd.length === 0) throw new Error('testhost: empty command');
    if (this.destroying) throw new Error(`testhost: host ${this.name} is destroyed`);
    const inner = [bin('unshare'), '--uts', '--mount', '--', bin('chroot'), this.rec.root, '/bin/sh', '-c', WRAPPER, 'testhost', this.rec.name, ...cmd];
    return this.rec.netns ? [bin('ip'), ['netns', 'exec', this.rec.netns, ...inner]] : [inner[0]!, inner.slice(1)];
  }

  private env(extra?: Record<string, string>): Record<string, string> {
    return { PATH: HOST_PATH, HOME: '/root', ...extra };
  }

  exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, args] = this.argv(cmd);
    const child = spawn(file, args, { env: this.env(opts.env), stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: '/' });
    return collect(child, opts.input, opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS).then(({ code, stdout, stderr }) => ({ code, stdout, stderr }));
  }

  spawn(cmd: string[], opts: SpawnOptions = {}): ChildProcess {
    const [file, args] = this.argv(cmd);
    return spawn(file, args, { env: this.env(opts.env), stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'], detached: opts.detached ?? false, cwd: '/' });
  }

  writeFile(path: string, content: string | Buffer, mode?: number): void {
    const target = this.path(path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, mode === undefined ? {} : { mode });
    if (mode !== undefined) chmodSync(target, mode);
  }

  readFile(path: string): string {
    return readFileSync(this.path(path), 'utf8');
  }

  async bind(source: string, target: string, opts: { readonly?: boolean } = {}): Promise<void> {
    const src = realpathSync(source);
    const dst = this.path(target);
    if (statSync(src).isDirectory()) mkdirSync(dst, { recursive: true });
    else {
      mkdirSync(dirname(dst), { recursive: true });
      if (!existsSync(dst)) writeFileSync(dst, '');
    }
    const mount = bin('mount');
    await runOk(mount, ['--bind', src, dst]);
    if (opts.readonly ?? true) await runOk(mount, ['-o', 'remount,bind,ro', dst]);
  }

  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      await teardown(this.rec);
      live.delete(this.rec.id);
    })();
    return this.destroying;
  }
}

// A host's root is a tmpfs by default: unpacking ~8500 files onto a VM's ext4 takes 4-7 s, onto tmpfs
// under one second, and removing it is one umount. HYPRBOX_TESTHOST_TMPFS=0 unpacks onto the disk instead;
// it is also skipped when the machine has less than 2 GiB of memory available.
const tmpfsSize = (): string => process.env.HYPRBOX_TESTHOST_TMPFS_SIZE || '4g';

function useTmpfs(): boolean {
  if (process.env.HYPRBOX_TESTHOST_TMPFS === '0') return false;
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return !m || Number(m[1]) * 1024 >= 2 * 1024 ** 3;
  } catch {
    return true;
  }
}

function pickParentDir(): string {
  const candidates = [process.env.HYPRBOX_TESTHOST_DIR, '/var/tmp', tmpdir()].filter((d): d is string => !!d);
  for (const d of candidates) {
    try {
      const st = statfsSync(d);
      if (st.bavail * st.bsize >= MIN_FREE_BYTES) return realpathSync(d);
    } catch {
      // not usable
    }
  }
  throw new Error(`testhost: no directory with ${MIN_FREE_BYTES / 1024 ** 3} GiB free among ${candidates.join(', ')} (set HYPRBOX_TESTHOST_DIR)`);
}

async function mountDevAndProc(root: string, withSys: boolean, netns?: string): Promise<void> {
  const mount = bin('mount');
  const dirAt = (p: string): string => {
    const d = resolveInRoot(root, p, false);
    if (lstatSync(d, { throwIfNoEntry: false })?.isSymbolicLink()) throw new Error(`testhost: ${d} is a symlink; not mounting on it`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  await runOk(mount, ['-t', 'proc', '-o', 'nosuid,nodev,noexec', 'hbx-proc', dirAt('/proc')]);
  const dev = dirAt('/dev');
  await runOk(mount, ['-t', 'tmpfs', '-o', 'mode=0755,size=1m,nosuid,noexec', 'hbx-dev', dev]);
  const nodes: Array<[string, number, number]> = [
    ['null', 1, 3],
    ['zero', 1, 5],
    ['full', 1, 7],
    ['random', 1, 8],
    ['urandom', 1, 9],
    ['tty', 5, 0],
  ];
  const mknod = bin('mknod');
  for (const [name, major, minor] of nodes) {
    const p = assertInside(root, join(dev, name));
    if ((await run(mknod, ['-m', '666', p, 'c', String(major), String(minor)])).code !== 0) {
      // No mknod (e.g. inside an unprivileged container): bind the machine's node instead.
      writeFileSync(p, '');
      await runOk(mount, ['--bind', `/dev/${name}`, p]);
    }
  }
  for (const [link, target] of [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['ptmx', 'pts/ptmx'],
  ] as const) {
    symlinkSync(target, assertInside(root, join(dev, link)));
  }
  const pts = assertInside(root, join(dev, 'pts'));
  const shm = assertInside(root, join(dev, 'shm'));
  mkdirSync(pts);
  mkdirSync(shm);
  await runOk(mount, ['-t', 'devpts', '-o', 'newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec', 'hbx-devpts', pts]);
  await runOk(mount, ['-t', 'tmpfs', '-o', 'mode=1777,size=64m,nosuid,nodev', 'hbx-shm', shm]);
  if (withSys) {
    const sysArgs = ['-t', 'sysfs', '-o', 'ro,nosuid,nodev,noexec', 'hbx-sys', dirAt('/sys')];
    // sysfs shows the network namespace of whoever mounts it: mount it from inside the host's namespace.
    if (netns) await runOk(bin('nsenter'), [`--net=/run/netns/${netns}`, '--', mount, ...sysArgs]);
    else await runOk(mount, sysArgs);
  }
}

async function setUpNetwork(rec: HostRecord): Promise<void> {
  const ip = bin('ip');
  const suffix = rec.id.slice('hbx-'.length);
  rec.netns = rec.id;
  rec.hostVeth = `hbh${suffix}`;
  const peer = `hbp${suffix}`;
  const lease = await leaseSubnet(rec.id);
  rec.lease = lease.path;
  rec.hostAddress = `10.${lease.x}.${lease.y}.1`;
  rec.address = `10.${lease.x}.${lease.y}.2`;
  saveRecord(rec); // before creating anything, so a crash leaves something to sweep
  await runOk(ip, ['netns', 'add', rec.netns]);
  await runOk(ip, ['link', 'add', rec.hostVeth, 'type', 'veth', 'peer', 'name', peer, 'netns', rec.netns]);
  await runOk(ip, ['addr', 'add', `${rec.hostAddress}/30`, 'dev', rec.hostVeth]);
  await runOk(ip, ['link', 'set', rec.hostVeth, 'up']);
  await runOk(ip, ['-n', rec.netns, 'link', 'set', peer, 'name', 'eth0']);
  await runOk(ip, ['-n', rec.netns, 'addr', 'add', `${rec.address}/30`, 'dev', 'eth0']);
  await runOk(ip, ['-n', rec.netns, 'link', 'set', 'eth0', 'up']);
  await runOk(ip, ['-n', rec.netns, 'link', 'set', 'lo', 'up']);
}

/** Creates <parent>/hbx-<8 hex> exclusively; returns its name (also the netns name). */
function makeHostDir(parent: string): string {
  for (;;) {
    const id = `hbx-${randomBytes(4).toString('hex')}`;
    try {
      mkdirSync(join(parent, id), { mode: 0o755 });
      return id;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
    }
  }
}

/** Makes a networked host look like a sysvinit machine whose init scripts may start daemons. */
async function allowServices(host: TestHost): Promise<void> {
  if (!host.netns) throw new Error('testhost: a host with services needs its own network (network: true)');
  host.writeFile('/usr/sbin/policy-rc.d', '#!/bin/sh\n# hyprbox test host with services: daemons may start (own network namespace)\nexit 0\n', 0o755);
  const r = await host.exec(['mkfifo', '-m', '600', '/run/initctl']);
  if (r.code !== 0) throw new Error(`testhost: mkfifo /run/initctl failed: ${r.stderr}`);
}

/** A fresh test host from the cached base image. Needs root. Always destroy() it (or use useTestHost). */
export async function createTestHost(opts: CreateTestHostOptions = {}): Promise<TestHost> {
  requireRoot();
  installExitHooks();
  if (!swept) {
    swept = true;
    await sweepStaleHosts();
  }
  if (opts.network) await needCommand('ip', 'iproute2');
  const image = await ensureBaseImage({ packages: opts.packages });
  if (opts.name !== undefined && !HOSTNAME_RE.test(opts.name)) throw new Error(`testhost: '${opts.name}' is not a valid hostname`);
  const parent = pickParentDir();
  const id = makeHostDir(parent);
  const root = join(parent, id);
  const name = opts.name ?? id;
  const rec: HostRecord = { owner: self(), id, name, root };
  saveRecord(rec);
  live.set(id, rec);
  const host = new Host(rec);
  try {
    if (useTmpfs()) await runOk(bin('mount'), ['-t', 'tmpfs', '-o', `size=${tmpfsSize()},mode=0755`, 'hbx-root', root]);
    await runOk(bin('tar'), ['--extract', '--file', image, image.endsWith('.zst') ? '--zstd' : '--gzip', '--numeric-owner', '--preserve-permissions', '-C', root], {
      timeoutMs: 5 * 60_000,
    });
    chmodSync(root, 0o755);
    if (opts.network) await setUpNetwork(rec);
    host.writeFile('/etc/hostname', `${name}\n`);
    host.writeFile(
      '/etc/hosts',
      `127.0.0.1\tlocalhost\n${rec.address ?? '127.0.1.1'}\t${name}\n::1\tlocalhost ip6-localhost ip6-loopback\n` +
        'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n',
    );
    await mountDevAndProc(root, opts.sys ?? false, rec.netns);
    if (opts.services) await allowServices(host);
    return host;
  } catch (err) {
    try {
      await host.destroy();
    } catch (cleanupErr) {
      console.error(`testhost: cleanup after a failed create: ${(cleanupErr as Error).message}`);
    }
    throw err;
  }
}

/**
 * Mocha helper: one host per describe (or per test with `each`), always destroyed afterwards, even when a
 * test or the setup fails. Use `const t = useTestHost(); ... t.host.exec(...)` inside tests.
 */
export function useTestHost(opts: CreateTestHostOptions & { each?: boolean; setupTimeoutMs?: number } = {}): { readonly host: TestHost } {
  let current: TestHost | undefined;
  const setup = async function (this: Mocha.Context): Promise<void> {
    this.timeout(opts.setupTimeoutMs ?? 30 * 60_000); // the first base-image build takes minutes
    current = await createTestHost(opts);
  };
  const cleanup = async function (this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    const h = current;
    current = undefined;
    await h?.destroy();
  };
  if (opts.each) {
    beforeEach(setup);
    afterEach(cleanup);
  } else {
    before(setup);
    after(cleanup);
  }
  return {
    get host(): TestHost {
      if (!current) throw new Error('useTestHost: no test host here (used outside a test, or its creation failed)');
      return current;
    },
  };
}
