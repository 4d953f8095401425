// disk: usage per mounted file system, pseudo file systems skipped.
//
// Mounts come from /proc/mounts (under the host root); usage from statfs(2) (fs.promises.statfs, no command),
// computed as df(1) does: used = total - free, percent = ceil(used / (used + available) * 100), so the
// number matches what an operator sees with `df` (reserved blocks count as not available).
//
// Overlay: skipped, except when it is mounted at '/' — that is a container's root file system and the only
// view of its disk; every other overlay mount is a container's rootfs (Docker, containerd, podman) whose
// usage is that of the file system underneath, already reported at its own mount point.
import { statfs } from 'node:fs/promises';
import { localPath } from './host.js';
import type { HostAccess, Probe, ProbeField, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export const PROC_MOUNTS = '/proc/mounts';
/** A statfs that does not answer in this time (a hung network mount) is reported unknown. */
export const STATFS_TIMEOUT_MS = 5_000;

/** File systems that hold no user data (kernel interfaces, memory-backed, container plumbing). */
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  'proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'squashfs', 'securityfs', 'debugfs',
  'tracefs', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'fusectl', 'configfs', 'autofs', 'binfmt_misc', 'nsfs',
  'ramfs', 'efivarfs', 'rpc_pipefs', 'nfsd', 'selinuxfs', 'smackfs', 'apparmorfs', 'devfs', 'usbfs', 'rootfs',
  'sockfs', 'pipefs', 'anon_inodefs', 'dax', 'cpuset', 'zsmalloc', 'virtiofs-dax', 'fuse.lxcfs',
  'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.snapfuse', 'fuse.xdg-document-portal', 'nullfs', 'ftrace',
  'overlay', // see the file comment: kept only at '/'
]);

export interface MountEntry {
  device: string;
  mount: string;
  fsType: string;
  options: string[];
}

export interface MountUsage {
  mount: string;
  fsType: string;
  sizeBytes: number | null;
  usedBytes: number | null;
  usedPercent: number | null;
  /** Why the numbers are null (statfs failed). */
  error?: string;
}

/** /proc/mounts escapes space, tab, newline and backslash as \040 \011 \012 \134. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function isPseudoFilesystem(fsType: string, mount: string): boolean {
  if (fsType === 'overlay') return mount !== '/';
  return PSEUDO_FILESYSTEMS.has(fsType);
}

/**
 * Real file systems from /proc/mounts, one per mount point (a later mount over the same point hides the
 * earlier one, so the last entry wins), in /proc/mounts order. Malformed lines are skipped.
 */
export function parseMounts(procMounts: string): MountEntry[] {
  const byMount = new Map<string, MountEntry>();
  for (const line of procMounts.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0] === '') continue;
    const [device, rawMount, fsType, opts] = f as [string, string, string, string | undefined];
    const mount = unescapeMountField(rawMount);
    if (!mount.startsWith('/')) continue;
    if (isPseudoFilesystem(fsType, mount)) {
      byMount.delete(mount); // a pseudo fs mounted over a real one hides it
      continue;
    }
    byMount.delete(mount); // re-insert to keep the order of the visible mount
    byMount.set(mount, { device: unescapeMountField(device), mount, fsType, options: (opts ?? '').split(',').filter(Boolean) });
  }
  return [...byMount.values()];
}

/** Usage numbers as df computes them. Null when the file system reports no blocks at all. */
export function usageFrom(s: { bsize: number; blocks: number; bfree: number; bavail: number }): { sizeBytes: number; usedBytes: number; usedPercent: number } | null {
  const sizeBytes = s.blocks * s.bsize;
  if (sizeBytes <= 0) return null;
  const usedBytes = (s.blocks - s.bfree) * s.bsize;
  const availBytes = s.bavail * s.bsize;
  const denom = usedBytes + availBytes;
  const usedPercent = denom > 0 ? Math.ceil((usedBytes * 100) / denom) : 0;
  return { sizeBytes, usedBytes, usedPercent };
}

/**
 * Output of `df -P -B1 [paths]` → usage per mount point (the last column). For checks and for hosts where
 * statfs is not usable; the probe itself uses statfs.
 */
export function parseDf(output: string): MountUsage[] {
  const out: MountUsage[] = [];
  for (const line of output.split('\n').slice(1)) {
    // Filesystem 1-blocks Used Available Capacity Mounted-on; the mount point may contain spaces.
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(\/.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const size = Number(m[2]);
    out.push({ mount: m[6]!, fsType: '', sizeBytes: size, usedBytes: Number(m[3]), usedPercent: Number(m[5]) });
  }
  return out;
}

// A statfs stuck on a dead network mount holds a libuv thread; never start a second one for the same mount.
const inFlight = new Map<string, Promise<unknown>>();

async function statWithTimeout(local: string): Promise<{ bsize: number; blocks: number; bfree: number; bavail: number }> {
  if (inFlight.has(local)) throw new Error('an earlier statfs of this mount has not returned yet (hung network file system?)');
  const p = statfs(local, { bigint: true });
  inFlight.set(local, p);
  void p.then(
    () => inFlight.delete(local),
    () => inFlight.delete(local),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`statfs did not answer within ${STATFS_TIMEOUT_MS} ms`)), STATFS_TIMEOUT_MS);
  });
  try {
    const s = await Promise.race([p, timeout]);
    return { bsize: Number(s.bsize), blocks: Number(s.blocks), bfree: Number(s.bfree), bavail: Number(s.bavail) };
  } finally {
    clearTimeout(timer);
  }
}

/** Usage of one mount; null for a file system with no blocks at all (df hides those too). */
async function usageOf(host: HostAccess, m: MountEntry): Promise<MountUsage | null> {
  try {
    const u = usageFrom(await statWithTimeout(localPath(host.root, m.mount)));
    return u === null ? null : { mount: m.mount, fsType: m.fsType, ...u };
  } catch (e) {
    const code = (e as { code?: string }).code;
    // "ENOENT: no such file or directory, statfs '/local/path'" → "no such file or directory (ENOENT)"
    const msg = (e instanceof Error ? e.message : String(e)).replace(/^[A-Z]+: /, '').replace(/, statfs '.*'$/s, '');
    return { mount: m.mount, fsType: m.fsType, sizeBytes: null, usedBytes: null, usedPercent: null, error: `statfs ${m.mount}: ${msg}${code ? ` (${code})` : ''}` };
  }
}

export const diskProbe: Probe = {
  name: 'disk',
  watches() {
    // Usage changes continuously; the interval scan covers it. Mounts appearing would show in /proc/mounts,
    // which file watchers cannot observe (procfs sends no inotify events).
    return Promise.resolve([]);
  },
  async collect(host) {
    const input = await host.readFile(PROC_MOUNTS);
    if (input.content === undefined) return { 'disk.mounts': unknown(input.error ?? `cannot read ${PROC_MOUNTS}`) };
    const usages = (await Promise.all(parseMounts(input.content).map((m) => usageOf(host, m)))).filter((u) => u !== null);
    const result: ProbeResult = { 'disk.mounts': ok(usages) };
    for (const u of usages) {
      const field: ProbeField<number> = u.usedPercent !== null ? ok(u.usedPercent) : unknown(u.error ?? 'no usage');
      result[`disk.usage:${u.mount}`] = field;
    }
    return result;
  },
};
