// Inventory and metrics with systeminformation. Every section that cannot be read is left out (and logged),
// never reported as zero.
import si from 'systeminformation';
import type { NodeStatusInventory, NodeStatusMetrics } from '@hyprbox/crds';

/** The Node status sections this collector fills, as the CRD defines them. */
export type Inventory = NodeStatusInventory;
export type Metrics = NodeStatusMetrics;

const PSEUDO = new Set(['proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'overlay', 'squashfs', 'nsfs', 'ramfs', 'efivarfs', 'fuse.lxcfs']);
const round = (n: number): number => Math.round(n * 10) / 10;

async function attempt<T>(what: string, f: () => Promise<T>, onError: (what: string, err: Error) => void): Promise<T | undefined> {
  try {
    return await f();
  } catch (err) {
    onError(what, err as Error);
    return undefined;
  }
}

export async function collectInventory(onError: (what: string, err: Error) => void): Promise<{ inventory: Inventory; metrics: Metrics }> {
  const [os, cpu, mem, fs, nets, load, docker] = await Promise.all([
    attempt('os', () => si.osInfo(), onError),
    attempt('cpu', () => si.cpu(), onError),
    attempt('memory', () => si.mem(), onError),
    attempt('disks', () => si.fsSize(), onError),
    attempt('network', () => si.networkInterfaces(), onError),
    attempt('load', () => si.currentLoad(), onError),
    // No Docker answering: no list (undefined), which is not the same as an empty one (postgres.no-backup
    // resolves a finding when its container is gone from a list Docker gave, never when Docker is silent).
    attempt('docker', async () => ((await si.dockerInfo()).id ? si.dockerContainers(true) : undefined), onError),
  ]);
  const disks = (fs ?? []).filter((d) => !PSEUDO.has(d.type) && d.size > 0).map((d) => ({ mount: d.mount, fsType: d.type, sizeBytes: d.size, usedBytes: d.used }));
  const root = disks.find((d) => d.mount === '/') ?? disks[0];
  const inventory: Inventory = {
    ...(os ? { hostname: os.hostname, os: `${os.distro} ${os.release}`.trim(), kernel: os.kernel, architecture: os.arch } : {}),
    ...(nets ? { addresses: (Array.isArray(nets) ? nets : [nets]).filter((n) => !n.internal).flatMap((n) => [n.ip4, n.ip6].filter(Boolean)) } : {}),
    ...(cpu ? { cpuCount: cpu.cores } : {}),
    ...(mem ? { memoryBytes: mem.total } : {}),
    ...(fs ? { disks } : {}),
    ...(docker ? { containers: docker.map((c) => ({ name: c.name, image: c.image, volumes: (c.mounts ?? []).map((m) => String((m as { Source?: string }).Source ?? '')).filter(Boolean) })) } : {}),
  };
  const metrics: Metrics = {
    ...(load ? { cpuPercent: round(load.currentLoad) } : {}),
    ...(mem && mem.total > 0 ? { memoryPercent: round(((mem.total - mem.available) / mem.total) * 100) } : {}),
    ...(root && root.sizeBytes > 0 ? { diskPercent: round((root.usedBytes / root.sizeBytes) * 100) } : {}),
  };
  return { inventory, metrics };
}
