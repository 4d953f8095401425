// API benchmark (npm run bench:api): for the SQLite store and a real etcd, in one run,
//   a. raw Store writes/s at concurrency 64 (in this process, no HTTP);
//   b. API writes/s over HTTP at concurrency 64 (POST, PUT, merge PATCH of Nodes) and the ratio b/a;
//   b*. the same PUTs to a minimal node:http server over the store (minimal-child.ts): the ceiling of b/a;
//   c. authenticated GET of one object versus a bare express 5 server, same client, same concurrency;
//   d. write-to-delivery delay on every one of 1,000 open watches, for 200 creates 10 ms apart.
// The controller and the bare server each run in their own child process; this process only generates load
// (and hosts the raw store in a). Every phase is bounded in time and count; everything is torn down.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEtcdStore } from '@hyprbox/controller/store/etcd';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import type { Store } from '@hyprbox/controller/store/types';
import type { AuditProgress, ControllerReady } from './controller-child.js';
import {
  HttpClient,
  busyOthers,
  delay,
  envInt,
  fmtInt,
  fmtMs,
  forkChild,
  machineLine,
  onLines,
  percentile,
  procSnapshot,
  runLoad,
  startEtcd,
  tempDir,
} from './lib.js';
import type { EtcdServer, LoadResult } from './lib.js';

// The defaults are the benchmark; the BENCH_* overrides exist to explore (e.g. where the watch delay starts
// to grow), and the report prints whatever was used.
const CONCURRENCY = 64;
const DURATION_MS = envInt('BENCH_DURATION_MS', 5_000);
const WARMUP_MS = 1_000;
/** Upper bound on measured operations per phase (the clock normally ends it first). */
const MAX_OPS = 500_000;
/** Objects per worker that the update phases cycle through. */
const KEYS_PER_WORKER = 50;
const WATCHERS = envInt('BENCH_WATCHERS', 1_000);
const WATCH_WRITES = 200;
const WATCH_SPACING_MS = 10;
/** After a write row, how long to wait at most for the controller to finish what the row left behind. */
const SETTLE_MAX_MS = 60_000;
/** After the last watch write, how long to wait for every delivery. */
const WATCH_DRAIN_MS = 30_000;

const GOAL_WRITE_RATIO = 0.5;
const GOAL_GET_RATIO = 0.8;
const GOAL_WATCH_P99_MS = 1_000;
/** CPU (% of one core) used outside the benchmark's processes above which a row counts as disturbed. On a
 * quiet machine it stays under 5% (kernel work not charged to a process). */
const UNATTRIBUTED_LIMIT_PCT = 25;
/** A row disturbed by other processes is measured again, up to this many times in all. */
const ATTEMPTS = envInt('BENCH_ATTEMPTS', 3);
/** How long to wait for the machine to become quiet before measuring a disturbed row again. */
const QUIET_MAX_MS = 120_000;

const NODES = '/apis/hyprbox.io/v1alpha1/namespaces/default/nodes';
const CHILD_DIR = new URL('.', import.meta.url).pathname;

type Backend = 'sqlite' | 'etcd';

// ---------------------------------------------------------------------------------------------------------
// CPU accounting: seconds of CPU used by a process (from /proc), to show which process is the bottleneck.

const CLK_TCK = 100;
/** Every pid of ours (bench, children, etcd): the rest is someone else's. */
const ourPids = new Set<number>([process.pid]);
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot, from /proc/stat. */
function machineBusy(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
    void idle;
    void iowait;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return NaN;
  }
}

interface Cpu {
  controller: number;
  etcd: number;
  bench: number;
  /** Everything else that kept the machine busy: other processes and kernel work not charged to ours. */
  other: number;
  /** Other processes that used more than 10% of a core meanwhile (a disturbed measurement). */
  intruders: string[];
}
type Pids = { controller?: number; etcd?: number };

/** Runs `fn` and reports each process's CPU use during it, in % of one core. */
async function withCpu<T>(pids: Pids, fn: () => Promise<T>): Promise<{ value: T; cpu: Cpu; seconds: number }> {
  const sample = () => ({ controller: cpuOf(pids.controller), etcd: cpuOf(pids.etcd), bench: cpuOf(process.pid), machine: machineBusy() });
  for (const pid of [pids.controller, pids.etcd]) if (pid !== undefined) ourPids.add(pid);
  const before = sample();
  const procsBefore = procSnapshot();
  const t0 = performance.now();
  const value = await fn();
  const after = sample();
  const procsAfter = procSnapshot();
  const seconds = (performance.now() - t0) / 1000;
  const pct = (k: keyof typeof before): number => (100 * (after[k] - before[k])) / seconds;
  const ours = [pct('controller'), pct('etcd'), pct('bench')].filter(Number.isFinite).reduce((a, b) => a + b, 0);
  return {
    value,
    seconds,
    cpu: {
      controller: pct('controller'),
      etcd: pct('etcd'),
      bench: pct('bench'),
      other: Math.max(0, pct('machine') - ours),
      intruders: busyOthers(procsBefore, procsAfter, seconds, ourPids),
    },
  };
}

/** Load from outside the benchmark: named processes, or unattributed CPU (e.g. short-lived processes). */
function disturbance(c: Cpu): string | undefined {
  if (c.intruders.length) return `DISTURBED by ${c.intruders.join(', ')}`;
  if (c.other > UNATTRIBUTED_LIMIT_PCT) return `DISTURBED: ${c.other.toFixed(0)}% of a core used outside the benchmark`;
  return undefined;
}

interface AuditCounts {
  /** AuditEvents added to the store. */
  stored: number;
  /** Lines added to the audit log file. */
  lines: number;
}

interface Phase extends LoadResult {
  cpu: Cpu;
  /** Measurements it took to get one not disturbed by other processes (or the last one). */
  attempts?: number;
  /** For API writes: how far the audit trail kept up with the requests of the row (warm-up included). */
  audit?: { requests: number; atEnd: AuditCounts; settled: AuditCounts; settleSeconds: number };
}

/** A load phase with CPU accounting over warm-up and measurement together (same mix throughout). */
/**
 * Waits (at most QUIET_MAX_MS) until nothing outside the benchmark keeps the machine busy: under
 * UNATTRIBUTED_LIMIT_PCT / 2 of a core for two consecutive seconds.
 */
async function waitForQuiet(): Promise<void> {
  const t0 = performance.now();
  let quiet = 0;
  while (quiet < 2 && performance.now() - t0 < QUIET_MAX_MS) {
    // Our idle children (controller, etcd) count as "other" here; idle, they use next to nothing.
    const { cpu } = await withCpu({}, () => delay(1000));
    quiet = cpu.other < UNATTRIBUTED_LIMIT_PCT / 2 && cpu.intruders.length === 0 ? quiet + 1 : 0;
  }
}

/**
 * Runs `measure` until it is not disturbed by other processes, at most ATTEMPTS times, waiting for a quiet
 * machine between attempts; the last result counts, with the number of attempts it took.
 */
async function undisturbed<T extends { cpu: Cpu; attempts?: number }>(measure: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const r = await measure(attempt);
    if (disturbance(r.cpu) === undefined || attempt >= ATTEMPTS) return { ...r, attempts: attempt };
    log(`  disturbed (${disturbance(r.cpu)}); waiting for a quiet machine and measuring again`);
    await waitForQuiet();
  }
}

async function phase(pids: Pids, op: (worker: number, seq: number) => Promise<void>): Promise<Phase> {
  return undisturbed(async () => {
    const { value, cpu } = await withCpu(pids, () =>
      runLoad({ concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: WARMUP_MS, maxOps: MAX_OPS, op }),
    );
    return { ...value, cpu };
  });
}

// ---------------------------------------------------------------------------------------------------------
// a. Raw store writes

/** A value shaped like what the API stores for a Node (encode(): no resourceVersion inside). */
function storedNode(name: string, n: number): string {
  return JSON.stringify({
    apiVersion: 'hyprbox.io/v1alpha1',
    kind: 'Node',
    metadata: {
      name,
      namespace: 'default',
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      annotations: { 'bench.hyprbox.io/n': String(n) },
    },
    spec: {},
  });
}

async function storeWrites(store: Store, pids: Pids): Promise<{ create: Phase; update: Phase }> {
  const keys: Array<Array<{ key: string; rev: number }>> = Array.from({ length: CONCURRENCY }, () => []);
  let created = 0; // names stay unique when a disturbed row is measured again
  const create = await phase(pids, async (w) => {
    const name = `raw-${created++}`;
    const key = `/bench/raw/default/${name}`;
    const r = await store.create(key, storedNode(name, 0));
    if (!r.ok) throw new Error(`create ${key} failed`);
    if (keys[w]!.length < KEYS_PER_WORKER) keys[w]!.push({ key, rev: r.kv.modRevision });
  });
  const update = await phase(pids, async (w, seq) => {
    const mine = keys[w]!;
    const k = mine[seq % mine.length]!;
    const r = await store.update(k.key, storedNode(k.key, seq), k.rev);
    if (!r.ok) throw new Error(`update ${k.key} conflicted`);
    k.rev = r.kv.modRevision;
  });
  return { create, update };
}

// ---------------------------------------------------------------------------------------------------------
// b. API writes

interface NodeObj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

const newNode = (name: string, annotations?: Record<string, string>): NodeObj => ({
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: {},
});

/** Asks the controller child how far its audit trail got (see controller-child.ts). */
function auditProgress(child: ChildProcess): Promise<AuditProgress> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the controller did not answer the audit query within 30 s'));
    }, 30_000);
    const onMessage = (m: unknown): void => {
      if ((m as { type?: string }).type !== 'audit') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as AuditProgress);
    };
    child.on('message', onMessage);
    child.send({ type: 'audit' });
  });
}

/**
 * Waits until the process is idle (under 5% of a core over 250 ms), at most SETTLE_MAX_MS, so that work a
 * row left behind (the audit backlog) does not run into the next row. Returns the seconds it took.
 */
async function settle(pid: number | undefined): Promise<number> {
  const t0 = performance.now();
  let last = cpuOf(pid);
  while (performance.now() - t0 < SETTLE_MAX_MS) {
    await delay(250);
    const now = cpuOf(pid);
    if (!(now - last > 0.0125)) break;
    last = now;
  }
  return (performance.now() - t0) / 1000;
}

async function apiWrites(
  url: string,
  token: string,
  pids: Pids,
  child: ChildProcess,
): Promise<{ post: Phase; put: Phase; patch: Phase; sample: string }> {
  const client = new HttpClient(url, token, CONCURRENCY);
  const objs: NodeObj[][] = Array.from({ length: CONCURRENCY }, () => []);
  // Every mutating request is audited: count them, and see how many audit entries made it, at the end of
  // the row and once the controller has gone idle again.
  const audited = async (op: (worker: number, seq: number) => Promise<void>): Promise<Phase> => {
    const a0 = await auditProgress(child);
    let requests = 0;
    const p = await phase(pids, (w, seq) => {
      requests++;
      return op(w, seq);
    });
    const a1 = await auditProgress(child);
    const settleSeconds = await settle(pids.controller);
    const a2 = await auditProgress(child);
    const diff = (a: AuditProgress): AuditCounts => ({ stored: a.stored - a0.stored, lines: a.lines - a0.lines });
    return { ...p, audit: { requests, atEnd: diff(a1), settled: diff(a2), settleSeconds } };
  };
  try {
    let n = 0; // names stay unique when a disturbed row is measured again
    const post = await audited(async (w) => {
      const created = await client.json<NodeObj>('POST', NODES, 201, newNode(`api-${n++}`));
      if (objs[w]!.length < KEYS_PER_WORKER) objs[w]!.push(created);
    });
    const put = await audited(async (w, seq) => {
      const mine = objs[w]!;
      const i = seq % mine.length;
      const obj = mine[i]!;
      obj.metadata.annotations = { 'bench.hyprbox.io/n': String(seq) };
      mine[i] = await client.json<NodeObj>('PUT', `${NODES}/${obj.metadata.name}`, 200, obj);
    });
    const patch = await audited(async (w, seq) => {
      const mine = objs[w]!;
      const name = mine[seq % mine.length]!.metadata.name;
      const body = { metadata: { annotations: { 'bench.hyprbox.io/n': `p${seq}` } } };
      await client.json('PATCH', `${NODES}/${name}`, 200, body, 'application/merge-patch+json');
    });
    const sample = objs.find((o) => o.length > 0)?.[0]?.metadata.name;
    if (sample === undefined) throw new Error('no object was created');
    return { post, put, patch, sample };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// b*. The ceiling of b/a: the least a Node HTTP server does per write over the same store (minimal-child.ts)

async function minimalPuts(url: string, pids: Pids): Promise<Phase> {
  const client = new HttpClient(url, undefined, CONCURRENCY);
  try {
    const objs: NodeObj[][] = Array.from({ length: CONCURRENCY }, () => []);
    await Promise.all(
      objs.map(async (mine, w) => {
        for (let i = 0; i < KEYS_PER_WORKER; i++) mine.push(await client.json<NodeObj>('POST', `/min/m-${w}-${i}`, 201, newNode(`m-${w}-${i}`)));
      }),
    );
    // The same request as row b's PUT: the whole object with its resourceVersion, one annotation changed.
    return await phase(pids, async (w, seq) => {
      const mine = objs[w]!;
      const i = seq % mine.length;
      const obj = mine[i]!;
      obj.metadata.annotations = { 'bench.hyprbox.io/n': String(seq) };
      mine[i] = await client.json<NodeObj>('PUT', `/min/${obj.metadata.name}`, 200, obj);
    });
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// c. GET versus a bare express server

async function getLoad(url: string, token: string | undefined, path: string, pids: Pids): Promise<Phase> {
  const client = new HttpClient(url, token, CONCURRENCY);
  try {
    return await phase(pids, async () => {
      const res = await client.request('GET', path);
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
    });
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// d. Watch fan-out delay

interface WatchResult {
  attempts?: number;
  opened: number;
  expected: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  writeP50Ms: number;
  writeP99Ms: number;
  /** How long the 200 writes took to issue (nominally 199 × 10 ms). */
  writeSpanMs: number;
  openMs: number;
  cpu: Cpu;
  error?: string;
}

async function watchFanout(url: string, token: string, pids: Pids, attempt: number): Promise<WatchResult> {
  const client = new HttpClient(url, token, 16);
  const watchAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const { hostname, port } = new URL(url);
  const reqs: ClientRequest[] = [];
  const sendAt = new Float64Array(WATCH_WRITES).fill(NaN);
  const delays = new Float64Array(WATCHERS * WATCH_WRITES);
  const expected = WATCHERS * WATCH_WRITES;
  let delivered = 0;
  let strayError: string | undefined;
  let allDelivered!: () => void;
  const done = new Promise<void>((resolve) => (allDelivered = resolve));

  const openWatch = (rv: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port: Number(port),
          path: `${NODES}?watch=1&resourceVersion=${rv}`,
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
          agent: watchAgent,
        },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          resolve();
          onLines(res, (line, now) => {
            const ev = JSON.parse(line) as { type: string; object: NodeObj };
            const seq = Number(ev.object.metadata.annotations?.['bench.hyprbox.io/seq']);
            if (ev.type !== 'ADDED' || !Number.isInteger(seq)) {
              strayError ??= `unexpected watch event ${line.slice(0, 200)}`;
              return;
            }
            delays[delivered++] = now - sendAt[seq]!;
            if (delivered === expected) allDelivered();
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', (err) => {
        strayError ??= `watch connection: ${err.message}`;
        reject(err);
      });
      req.end();
      reqs.push(req);
    });

  try {
    const { value, cpu } = await withCpu(pids, async () => {
      const list = await client.json<{ metadata: { resourceVersion: string } }>('GET', `${NODES}?limit=1`, 200);
      const t0 = performance.now();
      // Open in batches so the listen backlog is never the limit.
      for (let i = 0; i < WATCHERS; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, WATCHERS - i) }, () => openWatch(list.metadata.resourceVersion)));
      }
      const openMs = performance.now() - t0;
      await delay(500); // let every subscription settle before the first write

      const writeLatencies: number[] = [];
      const writes: Array<Promise<void>> = [];
      const start = performance.now();
      for (let i = 0; i < WATCH_WRITES; i++) {
        const due = start + i * WATCH_SPACING_MS - performance.now();
        if (due > 0) await delay(due);
        const t = performance.now();
        sendAt[i] = t;
        writes.push(
          client
            .json('POST', NODES, 201, newNode(`watch-${attempt}-${i}`, { 'bench.hyprbox.io/seq': String(i) }))
            .then(() => void writeLatencies.push(performance.now() - t)),
        );
      }
      const writeSpanMs = performance.now() - start;
      await Promise.all(writes);
      await Promise.race([done, delay(WATCH_DRAIN_MS)]);
      writeLatencies.sort((a, b) => a - b);
      return { openMs, writeSpanMs, writeP50Ms: percentile(writeLatencies, 50), writeP99Ms: percentile(writeLatencies, 99) };
    });
    const got = delays.subarray(0, delivered).sort();
    return {
      opened: reqs.length,
      expected,
      delivered,
      p50Ms: percentile(got, 50),
      p99Ms: percentile(got, 99),
      maxMs: got.length ? got[got.length - 1]! : NaN,
      ...value,
      cpu,
      ...(strayError ? { error: strayError } : {}),
    };
  } finally {
    for (const r of reqs) r.destroy();
    watchAgent.destroy();
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// One backend, end to end

interface BackendResult {
  backend: Backend;
  store: { create: Phase; update: Phase };
  /** PUTs of the minimal server (b*.), on the store of row a once that row is done. */
  minimal: Phase;
  api: { post: Phase; put: Phase; patch: Phase };
  get: { controller: Phase; bare: Phase };
  watch: WatchResult;
}

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function runBackend(backend: Backend): Promise<BackendResult> {
  // a. The raw store, in this process.
  let store: { create: Phase; update: Phase };
  let minimal: Phase;
  {
    const tmp = await tempDir('hyprbox-bench-store-');
    let etcd: EtcdServer | undefined;
    try {
      if (backend === 'etcd') etcd = await startEtcd();
      const s = etcd ? await createEtcdStore({ endpoints: etcd.endpoints }) : createSqliteStore({ file: join(tmp.dir, 'raw.db') });
      try {
        log(`${backend}: raw store writes`);
        store = await storeWrites(s, { ...(etcd?.pid !== undefined ? { etcd: etcd.pid } : {}) });
      } finally {
        await s.close();
      }
      log(`${backend}: minimal server PUTs`);
      const where = etcd ? etcd.endpoints.join(',') : join(tmp.dir, 'minimal.db');
      const child = await forkChild<{ url: string; pid: number }>(join(CHILD_DIR, 'minimal-child.js'), [backend, where]);
      try {
        minimal = await minimalPuts(child.ready.url, { controller: child.ready.pid, ...(etcd?.pid !== undefined ? { etcd: etcd.pid } : {}) });
      } finally {
        await child.stop();
      }
    } finally {
      await etcd?.stop();
      tmp.remove();
    }
  }

  // b-d. The controller in a child process (on a fresh etcd), the bare server in another.
  const tmp = await tempDir('hyprbox-bench-ctl-');
  let etcd: EtcdServer | undefined;
  let ctl: Awaited<ReturnType<typeof forkChild<ControllerReady>>> | undefined;
  let bare: Awaited<ReturnType<typeof forkChild<{ url: string; pid: number }>>> | undefined;
  try {
    if (backend === 'etcd') etcd = await startEtcd();
    const args = [tmp.dir, backend, ...(etcd ? [etcd.endpoints.join(',')] : [])];
    ctl = await forkChild<ControllerReady>(join(CHILD_DIR, 'controller-child.js'), args);
    const { url, token } = ctl.ready;
    const pids: Pids = { controller: ctl.ready.pid, ...(etcd?.pid !== undefined ? { etcd: etcd.pid } : {}) };

    log(`${backend}: API writes`);
    const { sample, ...api } = await apiWrites(url, token, pids, ctl.child);

    log(`${backend}: GET, controller then bare express`);
    const path = `${NODES}/${sample}`;
    const controller = await getLoad(url, token, path, pids);
    bare = await forkChild<{ url: string; pid: number }>(join(CHILD_DIR, 'bare-child.js'), []);
    const bareGet = await getLoad(bare.ready.url, token, path, { controller: bare.ready.pid });
    await bare.stop();
    bare = undefined;

    log(`${backend}: ${WATCHERS} watches`);
    const watch = await undisturbed((attempt) => watchFanout(url, token, pids, attempt));
    return { backend, store, minimal, api, get: { controller, bare: bareGet }, watch };
  } finally {
    await bare?.stop();
    await ctl?.stop();
    await etcd?.stop();
    tmp.remove();
  }
}


// ---------------------------------------------------------------------------------------------------------
// Report

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const ratio = (a: number, b: number): number => a / b;

function report(results: BackendResult[], background: number): string {
  const L = 44;
  const C = 17;
  const lines: string[] = [];
  const row = (label: string, cells: string[]): void => {
    lines.push(label.padEnd(L) + cells.map((c) => c.padStart(C)).join(''));
  };
  const each = (f: (r: BackendResult) => string): string[] => results.map(f);
  const rule = '-'.repeat(L + C * results.length);

  lines.push(`HyprBox API benchmark, ${new Date().toISOString().slice(0, 10)}`);
  lines.push(`Machine: ${machineLine()}`);
  lines.push(
    `Load: ${CONCURRENCY} concurrent workers / keep-alive sockets, ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per row; ` +
      'controller and bare server each in their own child process, load generator (and the raw store of a.) in the bench process.',
  );
  lines.push(
    `Background: the machine was ${background.toFixed(0)}% busy (of one core) in the 2 s before the run` +
      (background > 20 ? ' -- NOT QUIET, these numbers are not trustworthy' : ''),
  );
  lines.push('');
  row('', each((r) => `${r.backend} `));
  lines.push(rule);
  // A value resting on a measurement that other processes disturbed is marked "!" (and its verdict with it).
  const mark = (text: string, ...from: Array<{ cpu: Cpu }>): string => (from.some((p) => disturbance(p.cpu) !== undefined) ? `${text}!` : `${text} `);
  const num = (p: Phase): string => mark(fmtInt(p.opsPerSecond), p);
  row('a. store writes/s (in-process, c=64)  create', each((r) => num(r.store.create)));
  row('                                      update', each((r) => num(r.store.update)));
  row('b. API writes/s (HTTP, c=64)          POST', each((r) => num(r.api.post)));
  row('                                      PUT', each((r) => num(r.api.put)));
  row('                                      PATCH', each((r) => num(r.api.patch)));
  const wr = (b: Phase, a: Phase): string => {
    const x = ratio(b.opsPerSecond, a.opsPerSecond);
    return mark(`${x.toFixed(2)} ${verdict(x >= GOAL_WRITE_RATIO)}`, a, b);
  };
  const writes = (r: BackendResult): Phase[] => [r.api.post, r.api.put, r.api.patch];
  const sum = (ps: Phase[], f: (p: NonNullable<Phase['audit']>) => number): number => ps.reduce((a, p) => a + (p.audit ? f(p.audit) : 0), 0);
  const most = (ps: Phase[], f: (p: NonNullable<Phase['audit']>) => number): number => Math.max(0, ...ps.map((p) => (p.audit ? f(p.audit) : 0)));
  row('   audit backlog at the end of a row   store', each((r) => mark(fmtInt(most(writes(r), (a) => a.requests - a.atEnd.stored)), ...writes(r))));
  row('      (largest of the three rows)       file', each((r) => mark(fmtInt(most(writes(r), (a) => a.requests - a.atEnd.lines)), ...writes(r))));
  row('   audit entries lost (store / file)', each((r) => mark(`${fmtInt(sum(writes(r), (a) => Math.max(0, a.requests - a.settled.stored)))} / ${fmtInt(sum(writes(r), (a) => Math.max(0, a.requests - a.settled.lines)))}`, ...writes(r))));
  row('   controller busy after the three rows', each((r) => mark(`${sum(writes(r), (a) => a.settleSeconds).toFixed(1)} s`, ...writes(r))));
  row(`   b/a (goal >= ${GOAL_WRITE_RATIO.toFixed(2)})          POST/create`, each((r) => wr(r.api.post, r.store.create)));
  row('                                   PUT/update', each((r) => wr(r.api.put, r.store.update)));
  row('                                 PATCH/update', each((r) => wr(r.api.patch, r.store.update)));
  row('b*. minimal server (node:http, parse,', each(() => ''));
  row('    getForWrite, update, answer)     PUT/s', each((r) => num(r.minimal)));
  row('   its PUT / store update: ceiling of b/a', each((r) => mark(ratio(r.minimal.opsPerSecond, r.store.update.opsPerSecond).toFixed(2), r.minimal, r.store.update)));
  row('   controller PUT / minimal PUT', each((r) => mark(ratio(r.api.put.opsPerSecond, r.minimal.opsPerSecond).toFixed(2), r.api.put, r.minimal)));
  row('c. GET one object, req/s (c=64)   controller', each((r) => num(r.get.controller)));
  row('                                bare express', each((r) => num(r.get.bare)));
  row(`   controller/bare (goal >= ${GOAL_GET_RATIO.toFixed(2)})`, each((r) => {
    const x = ratio(r.get.controller.opsPerSecond, r.get.bare.opsPerSecond);
    return mark(`${x.toFixed(2)} ${verdict(x >= GOAL_GET_RATIO)}`, r.get.controller, r.get.bare);
  }));
  row(`d. ${fmtInt(WATCHERS)} watches, ${WATCH_WRITES} creates ${WATCH_SPACING_MS} ms apart`, each(() => ''));
  row('   write-to-delivery delay, every watch  p50', each((r) => mark(fmtMs(r.watch.p50Ms), r.watch)));
  row(`                    p99 (goal <= ${GOAL_WATCH_P99_MS / 1000} s)`, each((r) => mark(`${fmtMs(r.watch.p99Ms)} ${verdict(r.watch.p99Ms <= GOAL_WATCH_P99_MS && r.watch.delivered === r.watch.expected)}`, r.watch)));
  row('                                         max', each((r) => mark(fmtMs(r.watch.maxMs), r.watch)));
  row('   events delivered', each((r) => mark(`${fmtInt(r.watch.delivered)}/${fmtInt(r.watch.expected)}`, r.watch)));
  lines.push(rule);
  const cpus = results.flatMap((r) => [r.store.create, r.store.update, r.minimal, r.api.post, r.api.put, r.api.patch, r.get.controller, r.get.bare, r.watch].map((p) => p.cpu));
  const disturbed = cpus.filter((c) => disturbance(c) !== undefined).length;
  if (disturbed > 0) {
    lines.push(
      `WARNING: ${disturbed} of ${cpus.length} rows were still disturbed by other processes after ${ATTEMPTS} attempts (see Detail); ` +
        'values marked ! rest on them: rerun on a quiet machine.',
    );
  }

  lines.push('');
  lines.push(
    'Detail: per-request latency, and CPU in % of one core during each row (warm-up included) of: the server (controller, or the bare ' +
      'express or minimal server in their rows) / etcd / the bench process / everything else (other processes, kernel work not charged to these)',
  );
  const D = 30;
  const detail = (label: string, pick: (r: BackendResult) => Phase): void => {
    for (const r of results) {
      const p = pick(r);
      const cpu = [p.cpu.controller, p.cpu.etcd, p.cpu.bench, p.cpu.other].map((c) => (Number.isFinite(c) ? `${c.toFixed(0)}%` : '-')).join(' / ');
      const d = disturbance(p.cpu);
      const err =
        (p.errors ? `  errors ${p.errors} (${p.firstError})` : '') +
        (p.attempts && p.attempts > 1 ? `  (attempt ${p.attempts})` : '') +
        (d ? `  ${d}` : '');
      lines.push(
        `  ${(label + ' [' + r.backend + ']').padEnd(D)} ${fmtInt(p.ops).padStart(9)} ops  p50 ${fmtMs(p.p50Ms).padStart(8)}  p99 ${fmtMs(p.p99Ms).padStart(8)}  cpu ${cpu}${err}`,
      );
    }
  };
  detail('a. store create', (r) => r.store.create);
  detail('a. store update', (r) => r.store.update);
  detail('b*. minimal PUT', (r) => r.minimal);
  detail('b. API POST', (r) => r.api.post);
  detail('b. API PUT', (r) => r.api.put);
  detail('b. API PATCH', (r) => r.api.patch);
  for (const [label, pick] of [['POST', (r: BackendResult) => r.api.post], ['PUT', (r: BackendResult) => r.api.put], ['PATCH', (r: BackendResult) => r.api.patch]] as const) {
    for (const r of results) {
      const a = pick(r).audit;
      if (!a) continue;
      lines.push(
        `  ${('b. audit of ' + label + ' [' + r.backend + ']').padEnd(D)} ${fmtInt(a.requests).padStart(9)} requests; by the end of the row ` +
          `${fmtInt(a.atEnd.stored)} AuditEvents stored, ${fmtInt(a.atEnd.lines)} lines in the audit log; ` +
          `after ${a.settleSeconds.toFixed(1)} s more: ${fmtInt(a.settled.stored)} and ${fmtInt(a.settled.lines)}`,
      );
    }
  }
  detail('c. GET controller', (r) => r.get.controller);
  detail('c. GET bare express', (r) => r.get.bare);
  for (const r of results) {
    const w = r.watch;
    const cpu = [w.cpu.controller, w.cpu.etcd, w.cpu.bench, w.cpu.other].map((c) => (Number.isFinite(c) ? `${c.toFixed(0)}%` : '-')).join(' / ');
    lines.push(
      `  ${('d. watches [' + r.backend + ']').padEnd(D)} ${w.opened} opened in ${fmtMs(w.openMs)}; writes issued over ${fmtMs(w.writeSpanMs)}, ` +
        `write p50 ${fmtMs(w.writeP50Ms)} p99 ${fmtMs(w.writeP99Ms)}; cpu ${cpu}${w.error ? `; ${w.error}` : ''}` +
        (w.attempts && w.attempts > 1 ? `  (attempt ${w.attempts})` : '') +
        (disturbance(w.cpu) ? `  ${disturbance(w.cpu)}` : ''),
    );
  }
  lines.push('  (a. cpu of the bench process includes the store itself: SQLite runs in it, and the etcd client.)');
  return lines.join('\n');
}

async function main(): Promise<void> {
  // Other work on the machine skews every number: measure how busy it is before starting.
  const { cpu: idle } = await withCpu({}, () => delay(2000));
  const background = idle.other + idle.bench;
  if (background > 20) log(`warning: the machine is ${background.toFixed(0)}% busy before the benchmark started`);
  const results: BackendResult[] = [];
  const backends = (process.env.BENCH_BACKENDS ?? 'sqlite,etcd').split(',').map((b) => b.trim());
  for (const backend of backends) {
    if (backend !== 'sqlite' && backend !== 'etcd') throw new Error(`BENCH_BACKENDS: unknown backend "${backend}"`);
    results.push(await runBackend(backend));
  }
  process.stdout.write(report(results, background) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:api failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
