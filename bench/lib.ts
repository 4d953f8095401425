// Shared pieces of the benchmarks: the machine line, a throwaway etcd, a keep-alive HTTP client, a
// closed-loop load generator, percentiles and child-process servers. Nothing here tunes the controller.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { waitForExit } from '@hyprbox/e2e/lib/etcd-server';

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `onLine` for each non-empty line of a streamed response (a watch), with the time its chunk arrived. */
export function onLines(res: NodeJS.ReadableStream & { setEncoding(e: BufferEncoding): unknown }, onLine: (line: string, at: number) => void): void {
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const at = performance.now();
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(line, at);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Machine line

/** File-system type of the mount holding `path` (longest mount-point prefix in /proc/mounts). */
function fsTypeOf(path: string): string {
  try {
    let best = { mount: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (!mount || !type) continue;
      const prefix = mount.endsWith('/') ? mount : mount + '/';
      if ((path === mount || path.startsWith(prefix)) && mount.length > best.mount.length) best = { mount, type };
    }
    return best.type;
  } catch {
    return 'unknown';
  }
}

export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // keep os.cpus()'s model
  }
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  return `${model}, ${cpus().length} cores, ${gib} GiB RAM, Node ${process.version}, Linux ${release()}, ${tmpdir()} on ${fsTypeOf(tmpdir())}`;
}

// ---------------------------------------------------------------------------------------------------------
// Other processes: on a shared machine, anything else using the CPU during a measurement skews it. These
// snapshots of /proc name the processes that competed, so a disturbed run is recognisable as such.

const CLK_TCK = 100;
export type ProcSnapshot = Map<number, number>;

/** CPU seconds used so far by every process, by pid. */
export function procSnapshot(): ProcSnapshot {
  const snap: ProcSnapshot = new Map();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return snap;
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      snap.set(Number(e), (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
    } catch {
      // exited meanwhile
    }
  }
  return snap;
}

function procName(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    if (cmd.length) return cmd.join(' ').replace(/\/work\/main\//g, '').slice(0, 60);
    return `[${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return `pid ${pid}`;
  }
}

/**
 * User-space processes other than `ours` that used more than `thresholdPct` of one core between the two
 * snapshots. Kernel threads are left out: their work (writeback, network soft interrupts) is mostly ours.
 */
export function busyOthers(before: ProcSnapshot, after: ProcSnapshot, seconds: number, ours: Set<number>, thresholdPct = 10): string[] {
  const busy: Array<{ name: string; pct: number }> = [];
  for (const [pid, t] of after) {
    if (ours.has(pid)) continue;
    const pct = (100 * (t - (before.get(pid) ?? 0))) / seconds;
    if (pct <= thresholdPct) continue;
    const name = procName(pid);
    if (!name.startsWith('[')) busy.push({ name, pct });
  }
  return busy.sort((a, b) => b.pct - a.pct).map(({ name, pct }) => `${name} ${pct.toFixed(0)}%`);
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
}

/** Percentile (0..100) of an ascending-sorted array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const fmtMs = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) + ' ms' : '-');
export const fmtBytes = (n: number): string =>
  n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;

// ---------------------------------------------------------------------------------------------------------
// Closed-loop load: `concurrency` workers, each issuing its next operation when the previous one finished.

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

export interface LoadOptions {
  concurrency: number;
  /** Measured phase length. */
  durationMs: number;
  /** Unmeasured warm-up (JIT, connection set-up) before the measured phase. */
  warmupMs?: number;
  /** Stop early after this many measured operations. */
  maxOps?: number;
  /** One operation by `worker`, its `seq`-th; throws (or rejects) on failure. */
  op: (worker: number, seq: number) => Promise<void>;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  // The workers watch the clock themselves: with a synchronous store (SQLite) every await resolves as a
  // microtask, so a timer would never get to fire while they run.
  const measureStart = performance.now() + (o.warmupMs ?? 0);
  const measureEnd = measureStart + o.durationMs;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latencies: number[] = [];
  const maxOps = o.maxOps ?? Infinity;
  let stop = false;
  let stoppedAt = measureEnd;
  const worker = async (w: number): Promise<void> => {
    for (let seq = 0; !stop; seq++) {
      // Let timers and I/O run now and then (store maintenance, socket events), as a real server would.
      if (seq % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
      const t0 = performance.now();
      if (t0 >= measureEnd) break;
      let failed = false;
      try {
        await o.op(w, seq);
      } catch (err) {
        failed = true;
        firstError ??= (err as Error).message;
      }
      const t1 = performance.now();
      if (t0 >= measureStart && t1 <= measureEnd) {
        if (failed) errors++;
        else {
          ops++;
          latencies.push(t1 - t0);
        }
        if (ops >= maxOps && !stop) {
          stop = true;
          stoppedAt = t1;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  const seconds = (Math.min(measureEnd, stoppedAt) - measureStart) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops,
    errors,
    seconds,
    opsPerSecond: ops / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(firstError !== undefined ? { firstError } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTTP client: node:http with a keep-alive agent, so every request reuses one of `sockets` connections.

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export class HttpClient {
  readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly token: string | undefined,
    sockets: number,
  ) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:') throw new Error(`the benchmark speaks plain HTTP only (got ${baseUrl})`);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request(), but rejects unless the status is `expect`; returns the parsed JSON body. */
  async json<T = unknown>(method: string, path: string, expect: number, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request(method, path, body, contentType);
    if (res.status !== expect) throw new Error(`${method} ${path}: HTTP ${res.status} (wanted ${expect}): ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes. Every child is started under `setpriv --pdeathsig SIGKILL` when possible (or, for Node
// children, exits when the IPC channel to us closes), so nothing outlives the benchmark.

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let hooks = false;
function installExitHooks(): void {
  if (hooks) return;
  hooks = true;
  const killAll = (): void => {
    for (const c of live) c.kill('SIGKILL');
    live.clear();
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
    liveDirs.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function terminate(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitForExit(child, graceMs);
    }
  }
  live.delete(child);
}

export interface NodeChild<M> {
  child: ChildProcess;
  /** The child's first IPC message. */
  ready: M;
  stop(): Promise<void>;
}

/** Forks a compiled bench script and waits (bounded) for its first IPC message. */
export async function forkChild<M>(script: string, args: string[], timeoutMs = 30_000): Promise<NodeChild<M>> {
  installExitHooks();
  // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (see docs/PERFORMANCE.md).
  const prof = process.env.BENCH_CPU_PROF;
  const execArgv = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  live.add(child);
  const ready = await new Promise<M>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not report ready within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as M);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before it was ready (${code ?? signal})`));
    });
  }).catch(async (err: unknown) => {
    await terminate(child);
    throw err;
  });
  return { child, ready, stop: () => terminate(child) };
}

// ---------------------------------------------------------------------------------------------------------
// A throwaway single-member etcd: /usr/bin/etcd on free loopback ports in a temp dir, with the settings the
// tests use (no automatic compaction), killed at the end.

// etcd for the benchmarks is the test harness's: one way to start and stop it.
export { startEtcd } from '@hyprbox/e2e/lib/etcd-server';
export type { EtcdServer } from '@hyprbox/e2e/lib/etcd-server';

/** A fresh temp directory and a function removing it. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove(): void }> {
  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  liveDirs.add(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    },
  };
}
