// Reconcile benchmark (npm run bench:reconcile): the NodeProfile reconciler against 1,000 simulated nodes.
// Each simulated node is a lightweight agent that speaks the real protocol over HTTP with its own node token:
// it creates its Node (label role=bench) and its Lease, reports sshd.passwordAuthentication in its status,
// renews its Lease every 10 s, and claims (PUT /status at the run's resourceVersion), runs (Running) and
// finishes (Succeeded, finishedAt) the signed Runs addressed to it, then reports a fresh probe. Nothing runs
// a script. For the SQLite store and then a real etcd, in one run, it measures:
//   a. a NodeProfile applied to all 1,000 nodes (a SAFE preset expecting 'no', auto up to SAFE, canary 1,
//      maxParallel 1,000): the time from the POST to every Run created, and to every drift finding Resolved,
//      with the canary's milestones on the way;
//   b. the delay from an agent's status change (the probe flips back to 'yes' on 200 nodes, in batches of 4)
//      to its drift Finding changing, seen on a watch of Findings: p50/p99/max.
// It also reports what the reconciler got wrong at this scale: duplicate runs, stuck runs, a canary breach,
// and the controller's own log at level warn and above.
// The controller runs in its own child process (bench/controller-child.ts, the real startController, with a
// warn-level logger on its stderr, which this process reads), so the load generator's CPU is not charged to
// the reconciler. Runs are followed on ONE admin watch (labelSelector hyprbox.io/profile=<profile>) that
// dispatches each run to its node's simulated agent; every write of an agent uses that agent's own token.
// At most 28 agent requests plus 4 Lease renewals are in flight. Every wait is bounded (the whole run stays
// under 10 minutes: a. stops after 120 s, b. after 60 s); everything is torn down.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { ClientRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyRun } from '@hyprbox/crds';
import type { SignableRun } from '@hyprbox/crds';
import type { ControllerReady } from './controller-child.js';
import { busyOthers, delay, onLines, envInt, fmtBytes, fmtInt, fmtMs, machineLine, percentile, procSnapshot, startEtcd, tempDir, terminate } from './lib.js';
import type { EtcdServer } from './lib.js';

const NODES = envInt('BENCH_NODES', 1_000);
const FLIPS = Math.min(envInt('BENCH_FLIPS', 200), NODES);
const FLIP_BATCH = 4;
const FLIP_GAP_MS = 50;
/** Agent requests in flight at most (all simulated agents together): registration, status and runs... */
const CONCURRENCY = 28;
/** ...and Lease renewals, in a lane of their own so neither starves the other (32 in all). */
const HEARTBEAT_SLOTS = 4;
const HEARTBEAT_MS = 10_000;
/** The controller's default --node-grace-seconds: a lease older than this marks the node lost. */
const NODE_GRACE_MS = 40_000;
/** The simulated agent's re-probe after a run (the real one re-runs its probes: sshd -T and friends). */
const RESCAN_MS = 100;

const SETUP_TIMEOUT_MS = 120_000;
const ROLLOUT_TIMEOUT_MS = 120_000;
/** A flip whose finding has not changed within this time is counted lost. */
const FLIP_TIMEOUT_MS = 15_000;
const FLIPS_PHASE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The whole benchmark; past it, everything is torn down and the process exits non-zero. */
const OVERALL_TIMEOUT_MS = 9 * 60_000 + 30_000;

const G = '/apis/hyprbox.io/v1alpha1';
const API = 'hyprbox.io/v1alpha1';
const NS = 'default';
const NSP = `${G}/namespaces/${NS}`;
const PRESET = 'bench-pw';
const PROFILE = 'bench';
const FIELD = 'sshd.passwordAuthentication';
const DRIFT = `drift.${PRESET}`;
const CHILD_DIR = new URL('.', import.meta.url).pathname;
const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'RolledBack']);

type Backend = 'sqlite' | 'etcd';
interface Obj {
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; creationTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const started = performance.now();
const progress = (msg: string): void => void process.stderr.write(`bench:reconcile [${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`);
const nodeName = (i: number): string => `bench-${String(i + 1).padStart(4, '0')}`;
const phaseOf = (o: Obj): string => (o.status?.phase as string | undefined) ?? 'Pending';
const secs = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');

// ---------------------------------------------------------------------------------------------------------
// Bounded concurrency and the agents' HTTP: one keep-alive pool, each request with its own agent's token.

class Limiter {
  private active = 0;
  private readonly urgent: Array<() => void> = [];
  private readonly normal: Array<() => void> = [];
  constructor(private readonly max: number) {}
  /** `urgent` work (a run already claimed, a measured write) goes before queued normal work. */
  async run<T>(f: () => Promise<T>, urgent = false): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => (urgent ? this.urgent : this.normal).push(resolve));
    try {
      return await f();
    } finally {
      // Hand the slot straight to the next waiter, so nobody overtakes it.
      const next = this.urgent.shift() ?? this.normal.shift();
      if (next) next();
      else this.active--;
    }
  }
}

interface Reply {
  status: number;
  body: string;
}

type Errors = Map<string, { count: number; example: string }>;
interface SendOptions {
  contentType?: string;
  urgent?: boolean;
  /** Called when the request actually goes out (after any queueing for a slot). */
  onStart?: () => void;
}

/** A lane of HTTP traffic: its own keep-alive pool and at most `slots` requests in flight. */
class Wire {
  readonly pool: Agent;
  readonly limiter: Limiter;
  private readonly host: string;
  private readonly port: number;
  requests = 0;
  /** Closed at teardown: queued requests are dropped and failures no longer count. */
  private closed = false;

  constructor(
    baseUrl: string,
    slots: number,
    /** Failed requests (transport errors and unexpected statuses), by label; shared by the lanes. */
    readonly errors: Errors,
  ) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:') throw new Error(`the benchmark speaks plain HTTP only (got ${baseUrl})`);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.limiter = new Limiter(slots);
    this.pool = new Agent({ keepAlive: true, maxSockets: slots, maxFreeSockets: slots });
  }

  send(token: string, method: string, path: string, body?: unknown, o: SendOptions = {}): Promise<Reply> {
    return this.limiter.run(() => {
      if (this.closed) return Promise.reject(new Error('the benchmark is tearing down'));
      o.onStart?.();
      this.requests++;
      return this.raw(token, method, path, body, o.contentType ?? 'application/json');
    }, o.urgent);
  }

  /** send() as JSON, rejecting unless the status is `want`. */
  async json<T>(token: string, method: string, path: string, want: number, body?: unknown): Promise<T> {
    const r = await this.send(token, method, path, body);
    if (r.status !== want) throw new Error(`${method} ${path}: HTTP ${r.status} (wanted ${want}): ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  private raw(token: string, method: string, path: string, body: unknown, contentType: string): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method, path, headers, agent: this.pool }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Records a failure under `label` (for the report), returns false. */
  fail(label: string, detail: string): false {
    if (this.closed) return false;
    const e = this.errors.get(label);
    if (e) e.count++;
    else this.errors.set(label, { count: 1, example: detail.slice(0, 300) });
    return false;
  }

  /** send(), expecting `want`; a failure is recorded and answered with undefined. */
  async expect(label: string, want: number, token: string, method: string, path: string, body?: unknown, o: SendOptions = {}): Promise<Reply | undefined> {
    try {
      const r = await this.send(token, method, path, body, o);
      if (r.status === want) return r;
      this.fail(label, `${method} ${path}: HTTP ${r.status}: ${r.body}`);
    } catch (err) {
      this.fail(label, `${method} ${path}: ${(err as Error).message}`);
    }
    return undefined;
  }

  close(): void {
    this.closed = true;
    this.pool.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// A watch over HTTP (newline-delimited JSON events), resumed from the last resourceVersion when the stream ends.

class Watch {
  private req: ClientRequest | undefined;
  private closed = false;
  private rv: string | undefined;
  events = 0;
  reconnects = 0;
  readonly problems: string[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly path: string,
    private readonly onEvent: (type: string, obj: Obj, at: number) => void,
  ) {}

  /** Resolves once the stream is open (HTTP 200). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const sep = this.path.includes('?') ? '&' : '?';
      const url = `${this.baseUrl}${this.path}${sep}watch=true&allowWatchBookmarks=true${this.rv ? `&resourceVersion=${this.rv}` : ''}`;
      const req = request(url, { headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' }, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${this.path}: HTTP ${res.statusCode}`));
          return;
        }
        resolve();
        onLines(res, (line, at) => this.line(line, at));
        res.on('end', () => this.ended('the server ended the stream'));
        res.on('error', (err) => this.ended(err.message));
      });
      req.on('error', (err) => {
        reject(err);
        this.ended(err.message);
      });
      req.end();
      this.req = req;
    });
  }

  private line(line: string, at: number): void {
    let ev: { type: string; object: Obj & { code?: number; message?: string } };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      this.problems.push(`unparsable watch line: ${line.slice(0, 120)}`);
      return;
    }
    if (ev.type === 'ERROR') {
      // Too old a resourceVersion (410) or another failure: start over from the current state.
      this.problems.push(`watch ERROR ${ev.object.code ?? ''}: ${ev.object.message ?? ''}`);
      this.rv = undefined;
      return;
    }
    if (ev.object.metadata?.resourceVersion) this.rv = ev.object.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    this.events++;
    this.onEvent(ev.type, ev.object, at);
  }

  private ended(why: string): void {
    if (this.closed) return;
    this.req = undefined;
    this.reconnects++;
    if (this.reconnects > 20) {
      this.problems.push(`watch ${this.path} gave up after 20 reconnects (${why})`);
      return;
    }
    setTimeout(() => {
      if (!this.closed) this.start().catch((err: unknown) => this.problems.push(`watch ${this.path} could not reconnect: ${(err as Error).message}`));
    }, 200).unref();
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The controller child, its warn+ log, and CPU/memory from /proc.

interface LogGroup {
  level: number;
  msg: string;
  count: number;
  example: string;
}

interface ControllerProc {
  ready: ControllerReady;
  child: ChildProcess;
  logs: Map<string, LogGroup>;
  stop(): Promise<void>;
}

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

async function startControllerChild(dataDir: string, backend: Backend, endpoints: string[]): Promise<ControllerProc> {
  const args = [dataDir, backend, ...(endpoints.length ? [endpoints.join(',')] : [])];
  // BENCH_CPU_PROF=<dir>: the controller writes a V8 CPU profile there when it exits (as in bench/lib.ts).
  const prof = process.env.BENCH_CPU_PROF;
  const child = fork(join(CHILD_DIR, 'controller-child.js'), args, {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    execArgv: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
    env: { ...process.env, BENCH_CONTROLLER_LOG: 'warn' },
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  const logs = new Map<string, LogGroup>();
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let level = 50;
      let msg = line.slice(0, 160);
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string };
        level = j.level ?? 50;
        msg = j.msg ?? msg;
      } catch {
        // not pino: a crash or a stray write, counted as an error
      }
      if (level < 40) continue;
      const key = `${level} ${msg}`;
      const g = logs.get(key);
      if (g) g.count++;
      else logs.set(key, { level, msg, count: 1, example: line.slice(0, 600) });
    }
  });
  const ready = await new Promise<ControllerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the controller did not report ready within 60 s')), 60_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as ControllerReady);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the controller exited before it was ready (${code ?? signal})`));
    });
  }).catch(async (err: unknown) => {
    await terminate(child);
    throw err;
  });
  return {
    ready,
    child,
    logs,
    stop: async () => {
      await terminate(child, 10_000);
      process.off('exit', kill);
    },
  };
}

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function peakRssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The simulated fleet

interface SimNode {
  name: string;
  token: string;
  /** Runs this agent claimed (by uid): never claimed twice. */
  claimed: Set<string>;
  /** Runs being claimed right now (by uid). */
  claiming: Set<string>;
  /** A renewal is in flight (the real agent renews in a loop: one at a time). */
  beating: boolean;
}

interface RunSeen {
  name: string;
  node: string;
  createdAt: number;
  phase: string;
  succeededAt?: number;
}

interface FindingSeen {
  name: string;
  phase: string;
  firstAt: number;
  resolvedAt?: number;
  events: number;
}

interface Flip {
  node: string;
  t0: number;
  seenAt?: number;
  phase?: string;
}

interface BackendResult {
  backend: Backend;
  setup: { tokensMs: number; registerMs: number };
  a: {
    findingsOpenMs: number;
    canaryCreatedMs: number;
    canarySucceededMs: number;
    canaryResolvedMs: number;
    secondRunMs: number;
    allRunsMs: number;
    allSucceededMs: number;
    allResolvedMs: number;
    /** Where things stood when a. ended (done or timed out), from the watches. */
    runPhases: string;
    findingPhases: string;
    /** Drift findings Resolved when a. ended. */
    resolved: number;
    /** Size of the NodeProfile object (JSON) after a.: every status write carries all of it. */
    profileBytes: number;
    runsCreated: number;
    nodesWithRuns: number;
    duplicates: string[];
    stuck: string[];
    canaryBreach?: string;
    proceededBeforeFreshProbe: boolean;
    findingEventsPerNode: number;
    profileEvents: number;
    profileSummary: string;
    controllerCpuS: number;
    seconds: number;
    timedOut: boolean;
  };
  b: {
    flips: number;
    measured: number;
    lost: string[];
    p50: number;
    p99: number;
    max: number;
    patchP50: number;
    phasesAfter: Record<string, number>;
    runsMarkedFailed: number;
    newRuns: number;
    profileSummary: string;
    controllerCpuS: number;
    seconds: number;
  };
  heartbeats: {
    done: number;
    perSecond: number;
    /** Ticks at which a node's previous renewal was still in flight (the real agent would wait too). */
    skipped: number;
    p50: number;
    p99: number;
    max: number;
    /** Renewals that took longer than grace minus period: a real agent's lease would have expired. */
    overDeadline: number;
  };
  claimConflicts: number;
  refusedRuns: string[];
  errors: Errors;
  notes: string[];
  /** Other processes that used more than 10% of a core during a. and b. */
  others: string[];
  watchProblems: string[];
  logs: LogGroup[];
  peakRssMiB: number;
  etcdPeakRssMiB: number;
}

/** Polls `cond` until it holds or `ms` passes; true when it held. */
async function until(cond: () => boolean, ms: number, step = 20): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await delay(step);
  }
  return true;
}

const remaining = (): number => Math.max(0, started + OVERALL_TIMEOUT_MS - 20_000 - performance.now());

function countBy<T>(xs: Iterable<T>, f: (x: T) => string): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(f(x), (m.get(f(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

function profileSummary(p: Obj | undefined): string {
  const s = p?.status as { matched?: number; compliant?: number; drifted?: number; remediating?: number; failed?: number; unknown?: number; health?: string; conditions?: Array<{ type: string; status: string; reason: string }> } | undefined;
  if (!s) return p ? 'no status' : 'could not be read';
  const cond = (t: string): string => {
    const c = s.conditions?.find((x) => x.type === t);
    return c ? `${t}=${c.status}(${c.reason})` : `${t}=?`;
  };
  return `matched ${s.matched ?? '?'}, compliant ${s.compliant ?? '?'}, drifted ${s.drifted ?? '?'}, remediating ${s.remediating ?? '?'}, failed ${s.failed ?? '?'}, unknown ${s.unknown ?? '?'}; ${s.health ?? '?'}; ${cond('Ready')} ${cond('Stalled')}`;
}

/** What the benchmark was doing last: printed if the overall time limit cuts it short. */
let lastProgress = '';

async function runBackend(backend: Backend): Promise<BackendResult> {
  const tmp = await tempDir('hyprbox-bench-reconcile-');
  let etcd: EtcdServer | undefined;
  let ctl: ControllerProc | undefined;
  const lanes: Wire[] = [];
  const watches: Watch[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const notes: string[] = [];
  const say = (msg: string): void => {
    lastProgress = `${backend}: ${msg}`;
    progress(lastProgress);
  };
  try {
    if (backend === 'etcd') etcd = await startEtcd();
    ctl = await startControllerChild(tmp.dir, backend, etcd?.endpoints ?? []);
    const { url, token: adminToken, pid } = ctl.ready;
    say(`controller up at ${url} (pid ${pid})`);
    const errors: Errors = new Map();
    const w = new Wire(url, CONCURRENCY, errors);
    const beat = new Wire(url, HEARTBEAT_SLOTS, errors);
    const admin = new Wire(url, 4, errors);
    lanes.push(w, beat, admin);
    const adminJson = <T>(method: string, path: string, want: number, body?: unknown): Promise<T> => admin.json<T>(adminToken, method, path, want, body);
    /** An admin read after a phase; undefined (and a note) when the controller does not answer in time. */
    const adminRead = <T>(what: string, path: string): Promise<T | undefined> =>
      adminJson<T>('GET', path, 200).catch((err: unknown) => {
        notes.push(`could not read ${what}: ${(err as Error).message}`);
        return undefined;
      });

    const signingKey = (await admin.send(adminToken, 'GET', '/hyprbox/v1/signing-key')).body;
    if (!signingKey.includes('PUBLIC KEY')) throw new Error('the controller published no run-signing key');
    await adminJson('POST', `${G}/presets`, 201, {
      apiVersion: API,
      kind: 'Preset',
      metadata: { name: PRESET },
      spec: {
        risk: 'SAFE',
        check: { probes: { [FIELD]: 'no' } },
        apply: { script: 'printf "PasswordAuthentication no\\n" > /etc/ssh/sshd_config.d/00-hyprbox.conf' },
        verify: { script: 'grep -q "^PasswordAuthentication no" /etc/ssh/sshd_config.d/00-hyprbox.conf' },
      },
    });

    // Setup: a token per node (admin), then each agent registers with its own: Node, Lease, first status.
    const names = Array.from({ length: NODES }, (_, i) => nodeName(i));
    const nodes = new Map<string, SimNode>();
    const setupDeadline = performance.now() + Math.min(SETUP_TIMEOUT_MS, remaining());
    const inTime = (): void => {
      if (performance.now() > setupDeadline) throw new Error(`${backend}: setup did not finish within ${SETUP_TIMEOUT_MS / 1000} s`);
    };
    const t0 = performance.now();
    await Promise.all(
      names.map(async (name) => {
        const r = await w.send(adminToken, 'POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: NS, name } } });
        inTime();
        if (r.status !== 201) throw new Error(`minting the token of ${name}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
        const token = (JSON.parse(r.body) as { status: { token: string } }).status.token;
        nodes.set(name, { name, token, claimed: new Set(), claiming: new Set(), beating: false });
      }),
    );
    const tokensMs = performance.now() - t0;
    say(`${NODES} node tokens in ${secs(tokensMs)}`);
    const MERGE = 'application/merge-patch+json';
    const probeStatus = (value: 'yes' | 'no', at: Date) => ({ status: { agentVersion: 'bench-sim', probes: { [FIELD]: { state: 'ok', value, observedAt: at.toISOString() } } } });
    const renewTime = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const t1 = performance.now();
    await Promise.all(
      [...nodes.values()].map(async (n) => {
        const node = await w.send(n.token, 'POST', `${NSP}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: n.name, namespace: NS, labels: { role: 'bench' } }, spec: {} });
        if (node.status !== 201) throw new Error(`registering ${n.name}: HTTP ${node.status}: ${node.body.slice(0, 300)}`);
        const now = renewTime();
        const lease = await w.send(n.token, 'POST', `${NSP}/leases`, { apiVersion: API, kind: 'Lease', metadata: { name: n.name }, spec: { holderIdentity: `hyprnode@${n.name}`, acquireTime: now, renewTime: now } });
        if (lease.status !== 201) throw new Error(`creating the lease of ${n.name}: HTTP ${lease.status}: ${lease.body.slice(0, 300)}`);
        const st = await w.send(n.token, 'PATCH', `${NSP}/nodes/${n.name}/status`, probeStatus('yes', new Date()), { contentType: MERGE });
        if (st.status !== 200) throw new Error(`first status of ${n.name}: HTTP ${st.status}: ${st.body.slice(0, 300)}`);
        inTime();
      }),
    );
    const registerMs = performance.now() - t1;
    say(`${NODES} nodes registered (Node, Lease, status) in ${secs(registerMs)}`);

    // Heartbeats, as the real agent: every node renews its Lease every 10 s (spread evenly over the period),
    // one renewal at a time per node. Their latency is measured from when each goes out.
    let hb = 0;
    const hbStats = { sent: 0, skipped: 0 };
    const hbLatency: number[] = [];
    const hbStart = performance.now();
    heartbeat = setInterval(() => {
      const n = nodes.get(names[hb++ % NODES]!)!;
      if (n.beating) {
        hbStats.skipped++;
        return;
      }
      n.beating = true;
      let sentAt = NaN;
      void beat
        .expect('lease renewal', 200, n.token, 'PATCH', `${NSP}/leases/${n.name}`, { spec: { renewTime: renewTime() } }, { contentType: MERGE, onStart: () => (sentAt = performance.now()) })
        .then((r) => {
          if (!r) return;
          hbStats.sent++;
          hbLatency.push(performance.now() - sentAt);
        })
        .finally(() => (n.beating = false));
    }, HEARTBEAT_MS / NODES);
    heartbeat.unref();

    // Watches: runs of the profile (which also drives the simulated agents), findings, and the profile.
    const runs = new Map<string, RunSeen>();
    const runsByNode = new Map<string, string[]>();
    const findings = new Map<string, FindingSeen>();
    const flips = new Map<string, Flip>();
    let secondRunAt = NaN;
    let canary: RunSeen | undefined;
    let canaryBreach: string | undefined;
    let claimConflicts = 0;
    const refused: string[] = [];
    let profileEvents = 0;
    const markedFailed = new Set<string>();
    let phaseB = false;
    let newRunsInB = 0;

    /** Reads the run again and executes it if it is still Pending. */
    const lookAgain = async (n: SimNode, name: string): Promise<void> => {
      const fresh = await w.send(n.token, 'GET', `${NSP}/runs/${name}`, undefined, { urgent: true }).catch(() => undefined);
      if (fresh?.status !== 200) return;
      const f = JSON.parse(fresh.body) as Obj;
      if (phaseOf(f) === 'Pending') await execute(n, f);
    };
    const execute = async (n: SimNode, run: Obj): Promise<void> => {
      const uid = run.metadata.uid!;
      const name = run.metadata.name!;
      if (n.claimed.has(uid) || n.claiming.has(uid)) return;
      const v = verifyRun(run as unknown as SignableRun, signingKey, { now: new Date(), executed: (u) => n.claimed.has(u) });
      if (!v.ok) {
        refused.push(`${name}: ${v.reason}: ${v.message}`);
        await w.expect('report a refused run', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, { status: { phase: 'Failed', message: `${v.reason}: ${v.message}`, finishedAt: new Date().toISOString() } }, { contentType: MERGE, urgent: true });
        return;
      }
      n.claiming.add(uid);
      let claim: Reply;
      try {
        // The exactly-once claim: the whole object back at the resourceVersion it was seen at.
        claim = await w.send(n.token, 'PUT', `${NSP}/runs/${name}/status`, { ...run, status: { ...(run.status ?? {}), phase: 'Claimed', claimedBy: `hyprnode@${n.name}`, observedGeneration: run.metadata.generation ?? 1 } });
      } catch (err) {
        // No answer (e.g. a keep-alive socket the server closed as it was reused): the real agent looks
        // again, and so does this one; the failure still shows in the report.
        w.fail('claim (looked again)', `${name}: ${(err as Error).message}`);
        n.claiming.delete(uid);
        return lookAgain(n, name);
      } finally {
        n.claiming.delete(uid);
      }
      if (claim.status === 409) {
        // Changed since we saw it (or claimed elsewhere): like the agent, look at the current version.
        claimConflicts++;
        return lookAgain(n, name);
      }
      if (claim.status !== 200) {
        w.fail('claim', `${name}: HTTP ${claim.status}: ${claim.body}`);
        return;
      }
      n.claimed.add(uid);
      const steps = ((run.spec?.steps as Array<{ name: string }> | undefined) ?? []).map((s) => s.name);
      const startedAt = new Date().toISOString();
      await w.expect('run Running', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, { status: { phase: 'Running', claimedBy: `hyprnode@${n.name}`, startedAt, steps: steps.map((s) => ({ name: s, phase: 'Pending' })) } }, { contentType: MERGE, urgent: true });
      const finished = new Date();
      const done = await w.expect('run Succeeded', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, {
        status: {
          phase: 'Succeeded',
          message: 'precheck, apply and verify passed',
          finishedAt: finished.toISOString(),
          logBytes: 0,
          steps: steps.map((s) => (s === 'rollback' ? { name: s, phase: 'Skipped' } : { name: s, phase: 'Succeeded', startedAt, finishedAt: finished.toISOString(), exitCode: 0 })),
        },
      }, { contentType: MERGE, urgent: true });
      const seen = runs.get(name);
      if (done && seen) seen.succeededAt ??= performance.now();
      // The re-probe after the run: strictly after finishedAt, as the controller requires a fresh probe.
      await delay(RESCAN_MS);
      const at = new Date(Math.max(Date.now(), finished.getTime() + 1));
      await w.expect('status after a run', 200, n.token, 'PATCH', `${NSP}/nodes/${n.name}/status`, probeStatus('no', at), { contentType: MERGE, urgent: true });
    };

    const onRun = (type: string, run: Obj, at: number): void => {
      if (type === 'DELETED') return;
      const name = run.metadata.name!;
      const node = (run.spec?.nodeName as string | undefined) ?? '?';
      let seen = runs.get(name);
      if (!seen) {
        seen = { name, node, createdAt: at, phase: phaseOf(run) };
        runs.set(name, seen);
        runsByNode.set(node, [...(runsByNode.get(node) ?? []), name]);
        if (phaseB) newRunsInB++;
        if (!canary) canary = seen;
        else if (!Number.isFinite(secondRunAt)) {
          secondRunAt = at;
          if (canary.succeededAt === undefined && canary.phase !== 'Succeeded') canaryBreach = `run ${name} was created while the canary ${canary.name} was ${canary.phase}`;
        }
      }
      const phase = phaseOf(run);
      if (phase === 'Succeeded') seen.succeededAt ??= at;
      if (phase === 'Failed' && seen.phase === 'Succeeded') markedFailed.add(name);
      seen.phase = phase;
      if (phase === 'Pending') {
        const n = nodes.get(node);
        if (n) void execute(n, run).catch((err: unknown) => w.fail('agent', `${name}: ${(err as Error).message}`));
        else w.fail('run for an unknown node', name);
      }
    };

    const onFinding = (type: string, f: Obj, at: number): void => {
      const spec = f.spec as { type?: string; nodeName?: string; profile?: string } | undefined;
      if (spec?.type !== DRIFT || spec.profile !== PROFILE || type === 'DELETED') return;
      const node = spec.nodeName!;
      const phase = phaseOf(f);
      let seen = findings.get(node);
      if (!seen) findings.set(node, (seen = { name: f.metadata.name!, phase, firstAt: at, events: 0 }));
      seen.events++;
      seen.phase = phase;
      if (phase === 'Resolved') seen.resolvedAt ??= at;
      const flip = flips.get(node);
      if (flip && flip.seenAt === undefined && phase !== 'Resolved' && at >= flip.t0) {
        flip.seenAt = at;
        flip.phase = phase;
      }
    };

    const runWatch = new Watch(url, adminToken, `${NSP}/runs?labelSelector=${encodeURIComponent(`hyprbox.io/profile=${PROFILE}`)}`, onRun);
    const findingWatch = new Watch(url, adminToken, `${NSP}/findings`, onFinding);
    const profileWatch = new Watch(url, adminToken, `${NSP}/nodeprofiles`, () => profileEvents++);
    watches.push(runWatch, findingWatch, profileWatch);
    await Promise.all(watches.map((x) => x.start()));

    let lastCpu = cpuSeconds(pid);
    ticker = setInterval(() => {
      const c = cpuSeconds(pid);
      say(`runs {${countBy(runs.values(), (r) => r.phase)}} findings {${countBy(findings.values(), (f) => f.phase)}}; controller ${(((c - lastCpu) / 5) * 100).toFixed(0)}% of a core`);
      lastCpu = c;
    }, 5000);
    ticker.unref();

    // a. Apply the profile; wait for every run, then every finding resolved.
    say(`a. applying the profile to ${NODES} nodes`);
    // Anything else busy on the machine meanwhile skews every number: name it in the report.
    const procs0 = procSnapshot();
    const cpuA0 = cpuSeconds(pid);
    const tApply = performance.now();
    await adminJson('POST', `${NSP}/nodeprofiles`, 201, {
      apiVersion: API,
      kind: 'NodeProfile',
      metadata: { name: PROFILE },
      spec: {
        nodeSelector: { matchLabels: { role: 'bench' } },
        states: [{ preset: PRESET }],
        remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' },
        rollout: { canary: 1, maxParallel: NODES },
      },
    });
    /** The latest of f over all NODES entries; NaN unless every one has it. */
    const allOf = <T>(m: Map<string, T>, f: (x: T) => number | undefined): number => {
      if (m.size < NODES) return NaN;
      let worst = -Infinity;
      for (const x of m.values()) {
        const v = f(x);
        if (v === undefined) return NaN;
        worst = Math.max(worst, v);
      }
      return worst;
    };
    let allRunsAt = NaN;
    const doneA = await until(() => {
      if (!Number.isFinite(allRunsAt) && runsByNode.size >= NODES) {
        allRunsAt = Math.max(...[...runs.values()].map((r) => r.createdAt));
        say(`a. every node has a run after ${secs(allRunsAt - tApply)}`);
      }
      return runsByNode.size >= NODES && findings.size >= NODES && [...findings.values()].every((f) => f.phase === 'Resolved');
    }, Math.min(ROLLOUT_TIMEOUT_MS, remaining()), 50);
    const aSeconds = (performance.now() - tApply) / 1000;
    const cpuA = cpuSeconds(pid) - cpuA0;
    const runPhases = countBy(runs.values(), (r) => r.phase);
    const findingPhases = countBy(findings.values(), (f) => f.phase);
    if (!doneA) say(`a. TIMED OUT after ${aSeconds.toFixed(0)} s: runs {${runPhases}}, findings {${findingPhases}}`);
    else say(`a. every drift finding resolved after ${aSeconds.toFixed(1)} s`);
    // The truth from a list (not the watch): duplicates and runs that never finished.
    await delay(1000);
    const runsPath = `${NSP}/runs?labelSelector=${encodeURIComponent(`hyprbox.io/profile=${PROFILE}`)}`;
    const listed = (await adminRead<{ items: Obj[] }>('the runs', runsPath))?.items;
    const perNode = new Map<string, string[]>();
    for (const r of listed ?? []) perNode.set(r.spec!.nodeName as string, [...(perNode.get(r.spec!.nodeName as string) ?? []), r.metadata.name!]);
    const duplicates = [...perNode.entries()].filter(([, v]) => v.length > 1).map(([k, v]) => `${k}: ${v.join(', ')}`);
    const stuck = (listed ?? []).filter((r) => !FINAL.has(phaseOf(r))).map((r) => `${r.metadata.name} (${phaseOf(r)}${r.status?.claimedBy ? `, claimed by ${String(r.status.claimedBy)}` : ''})`);
    const profileA = await adminRead<Obj>('the profile', `${NSP}/nodeprofiles/${PROFILE}`);
    const canaryFinding = canary ? findings.get(canary.node) : undefined;
    const since = (t: number | undefined): number => (t === undefined ? NaN : t - tApply);
    const a: BackendResult['a'] = {
      findingsOpenMs: allOf(findings, (f) => f.firstAt) - tApply,
      canaryCreatedMs: since(canary?.createdAt),
      canarySucceededMs: since(canary?.succeededAt),
      canaryResolvedMs: since(canaryFinding?.resolvedAt),
      secondRunMs: since(Number.isFinite(secondRunAt) ? secondRunAt : undefined),
      allRunsMs: allRunsAt - tApply,
      allSucceededMs: allOf(runs, (r) => r.succeededAt) - tApply,
      allResolvedMs: doneA ? allOf(findings, (f) => f.resolvedAt) - tApply : NaN,
      runPhases,
      findingPhases,
      resolved: [...findings.values()].filter((f) => f.phase === 'Resolved').length,
      profileBytes: profileA ? JSON.stringify(profileA).length : NaN,
      runsCreated: listed?.length ?? runs.size,
      nodesWithRuns: listed ? perNode.size : runsByNode.size,
      duplicates,
      stuck: listed ? (doneA ? stuck : []) : [],
      ...(canaryBreach ? { canaryBreach } : {}),
      proceededBeforeFreshProbe: Number.isFinite(secondRunAt) && (canaryFinding?.resolvedAt === undefined || secondRunAt < canaryFinding.resolvedAt),
      findingEventsPerNode: [...findings.values()].reduce((x, f) => x + f.events, 0) / Math.max(1, findings.size),
      profileEvents,
      profileSummary: profileSummary(profileA),
      controllerCpuS: cpuA,
      seconds: aSeconds,
      timedOut: !doneA,
    };
    if (!doneA && listed) notes.push(`a. did not finish: runs not final when it ended (not counted as stuck): ${stuck.length}`);

    // b. Probe flips: status change → drift finding change, in small batches.
    await delay(2000);
    say(`b. ${FLIPS} probe flips in batches of ${FLIP_BATCH}`);
    phaseB = true;
    const cpuB0 = cpuSeconds(pid);
    const tB = performance.now();
    const stride = Math.max(1, Math.floor(NODES / FLIPS));
    const targets = Array.from({ length: FLIPS }, (_, i) => names[(i * stride + 1) % NODES]!);
    const patchMs: number[] = [];
    const bDeadline = performance.now() + Math.min(FLIPS_PHASE_MS, remaining());
    for (let i = 0; i < targets.length && performance.now() < bDeadline; i += FLIP_BATCH) {
      const batch = targets.slice(i, i + FLIP_BATCH);
      await Promise.all(
        batch.map(async (name) => {
          const n = nodes.get(name)!;
          const flip: Flip = { node: name, t0: NaN };
          try {
            const r = await w.send(n.token, 'PATCH', `${NSP}/nodes/${name}/status`, probeStatus('yes', new Date()), {
              contentType: MERGE,
              urgent: true,
              onStart: () => {
                flip.t0 = performance.now();
                flips.set(name, flip);
              },
            });
            if (r.status !== 200) w.fail('flip', `${name}: HTTP ${r.status}: ${r.body}`);
            else patchMs.push(performance.now() - flip.t0);
          } catch (err) {
            w.fail('flip', `${name}: ${(err as Error).message}`);
          }
        }),
      );
      await until(() => batch.every((name) => flips.get(name)?.seenAt !== undefined), Math.min(FLIP_TIMEOUT_MS, Math.max(0, bDeadline - performance.now())), 5);
      await delay(FLIP_GAP_MS);
    }
    const bSeconds = (performance.now() - tB) / 1000;
    const others = busyOthers(procs0, procSnapshot(), (performance.now() - tApply) / 1000, new Set([process.pid, pid, ...(etcd?.pid !== undefined ? [etcd.pid] : [])]));
    const cpuB = cpuSeconds(pid) - cpuB0;
    await delay(2000);
    const delays = [...flips.values()].filter((f) => f.seenAt !== undefined).map((f) => f.seenAt! - f.t0).sort((x, y) => x - y);
    const phasesAfter: Record<string, number> = {};
    for (const f of flips.values()) if (f.phase) phasesAfter[f.phase] = (phasesAfter[f.phase] ?? 0) + 1;
    patchMs.sort((x, y) => x - y);
    const profileB = await adminRead<Obj>('the profile', `${NSP}/nodeprofiles/${PROFILE}`);
    const b: BackendResult['b'] = {
      flips: flips.size,
      measured: delays.length,
      lost: [...flips.values()].filter((f) => f.seenAt === undefined).map((f) => f.node),
      p50: percentile(delays, 50),
      p99: percentile(delays, 99),
      max: delays.at(-1) ?? NaN,
      patchP50: percentile(patchMs, 50),
      phasesAfter,
      runsMarkedFailed: markedFailed.size,
      newRuns: newRunsInB,
      profileSummary: profileSummary(profileB),
      controllerCpuS: cpuB,
      seconds: bSeconds,
    };
    say(`b. ${b.measured}/${b.flips} flips seen, p50 ${fmtMs(b.p50)}, p99 ${fmtMs(b.p99)}`);

    clearInterval(ticker);
    clearInterval(heartbeat);
    heartbeat = undefined;
    const hbSeconds = (performance.now() - hbStart) / 1000;
    hbLatency.sort((x, y) => x - y);
    for (const x of watches) x.close();
    for (const l of lanes) l.close();
    const rss = peakRssMiB(pid);
    const etcdRss = peakRssMiB(etcd?.pid);
    await ctl.stop();
    const logs = [...ctl.logs.values()].sort((x, y) => y.level - x.level || y.count - x.count);
    return {
      backend,
      setup: { tokensMs, registerMs },
      a,
      b,
      heartbeats: { done: hbStats.sent, perSecond: hbStats.sent / hbSeconds, skipped: hbStats.skipped, p50: percentile(hbLatency, 50), p99: percentile(hbLatency, 99), max: hbLatency.at(-1) ?? NaN, overDeadline: hbLatency.filter((x) => x > NODE_GRACE_MS - HEARTBEAT_MS).length },
      claimConflicts,
      refusedRuns: refused,
      errors,
      notes,
      others,
      watchProblems: watches.flatMap((x) => x.problems),
      logs,
      peakRssMiB: rss,
      etcdPeakRssMiB: etcdRss,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    if (heartbeat) clearInterval(heartbeat);
    for (const x of watches) x.close();
    for (const l of lanes) l.close();
    await ctl?.stop();
    await etcd?.stop();
    tmp.remove();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

function report(results: BackendResult[], skipped: string[]): string {
  const L = 60;
  const C = 20;
  const lines: string[] = [];
  const row = (label: string, f: (r: BackendResult) => string): void => {
    lines.push(label.padEnd(L) + results.map((r) => f(r).padStart(C)).join(''));
  };
  const rule = '-'.repeat(L + C * Math.max(1, results.length));
  lines.push(`HyprBox reconcile benchmark, ${new Date().toISOString().slice(0, 10)}`);
  lines.push(`Machine: ${machineLine()}`);
  lines.push(
    `Load: ${fmtInt(NODES)} simulated agents (real protocol over HTTP, own node tokens; at most ${CONCURRENCY} requests in flight + ${HEARTBEAT_SLOTS} for ` +
      `Lease renewals every ${HEARTBEAT_MS / 1000} s; re-probe ${RESCAN_MS} ms after a run); controller in its own child process; ` +
      'times from the NodeProfile POST to the event on an admin watch.',
  );
  lines.push('');
  row('', (r) => r.backend);
  lines.push(rule);
  row(`setup: ${fmtInt(NODES)} node tokens minted (admin)`, (r) => secs(r.setup.tokensMs));
  row(`       ${fmtInt(NODES)} agents registered (Node + Lease + status)`, (r) => secs(r.setup.registerMs));
  row(`a. profile applied to ${fmtInt(NODES)} nodes -> drift finding on every node`, (r) => secs(r.a.findingsOpenMs));
  row('   -> canary run created', (r) => secs(r.a.canaryCreatedMs));
  row('   -> canary run Succeeded (its agent reported)', (r) => secs(r.a.canarySucceededMs));
  row('   -> canary finding Resolved (fresh probe seen)', (r) => secs(r.a.canaryResolvedMs));
  row('   -> second run created', (r) => secs(r.a.secondRunMs));
  row(`   -> EVERY RUN CREATED (${fmtInt(NODES)})`, (r) => secs(r.a.allRunsMs));
  row('   -> every run Succeeded', (r) => secs(r.a.allSucceededMs));
  row('   -> EVERY DRIFT FINDING RESOLVED', (r) => (r.a.timedOut ? `not in ${r.a.seconds.toFixed(0)} s` : secs(r.a.allResolvedMs)));
  if (results.some((r) => r.a.timedOut)) {
    row('      resolved when a. ended / at that rate, all after', (r) => (r.a.timedOut ? `${fmtInt(r.a.resolved)} / ~${((NODES * r.a.seconds) / Math.max(1, r.a.resolved)).toFixed(0)} s` : '-'));
  }
  row('   runs created / nodes with a run', (r) => `${fmtInt(r.a.runsCreated)} / ${fmtInt(r.a.nodesWithRuns)}`);
  row('   duplicate runs / stuck runs / canary breach', (r) => `${r.a.duplicates.length} / ${r.a.timedOut ? '?' : r.a.stuck.length} / ${r.a.canaryBreach ? 'YES' : 'no'}`);
  row("   second run created before the canary's finding Resolved", (r) => (r.a.proceededBeforeFreshProbe ? 'YES' : 'no'));
  row('   finding writes per node (watch events)', (r) => r.a.findingEventsPerNode.toFixed(1));
  row('   NodeProfile writes (status patches, watch events)', (r) => fmtInt(r.a.profileEvents));
  row('   NodeProfile size (each write carries all of it)', (r) => fmtBytes(r.a.profileBytes));
  row('   controller CPU during a. (s / % of one core)', (r) => `${r.a.controllerCpuS.toFixed(0)} s / ${((100 * r.a.controllerCpuS) / r.a.seconds).toFixed(0)}%`);
  row(`b. status change -> drift finding changed (${FLIPS} flips, ${FLIP_BATCH}/batch)`, () => '');
  row('   p50', (r) => fmtMs(r.b.p50));
  row('   p99', (r) => fmtMs(r.b.p99));
  row('   max', (r) => fmtMs(r.b.max));
  row('   flips seen / sent', (r) => `${r.b.measured}/${r.b.flips}`);
  row('   the status PATCH itself, p50', (r) => fmtMs(r.b.patchP50));
  row('   finding phase after the flip', (r) => Object.entries(r.b.phasesAfter).map(([k, v]) => `${k} ${v}`).join(', ') || '-');
  row('   Succeeded runs turned Failed by the controller', (r) => fmtInt(r.b.runsMarkedFailed));
  row('   new runs created', (r) => fmtInt(r.b.newRuns));
  row('   controller CPU during b. (s / % of one core)', (r) => `${r.b.controllerCpuS.toFixed(0)} s / ${((100 * r.b.controllerCpuS) / r.b.seconds).toFixed(0)}%`);
  row(`Lease renewals done / s (${fmtInt(NODES / (HEARTBEAT_MS / 1000))}/s due)`, (r) => `${fmtInt(r.heartbeats.done)} / ${r.heartbeats.perSecond.toFixed(0)}`);
  row('   renewal latency p50 / p99', (r) => `${fmtMs(r.heartbeats.p50)} / ${fmtMs(r.heartbeats.p99)}`);
  row('   renewal latency max', (r) => fmtMs(r.heartbeats.max));
  row(`   renewals > ${(NODE_GRACE_MS - HEARTBEAT_MS) / 1000} s (lease would expire) / ticks skipped`, (r) => `${fmtInt(r.heartbeats.overDeadline)} / ${fmtInt(r.heartbeats.skipped)}`);
  row('claim conflicts (409) / runs refused by an agent', (r) => `${r.claimConflicts} / ${r.refusedRuns.length}`);
  row('failed requests (agents and admin)', (r) => fmtInt([...r.errors.values()].reduce((s, e) => s + e.count, 0)));
  row('controller log lines at warn+', (r) => fmtInt(r.logs.reduce((s, l) => s + l.count, 0)));
  row('controller peak RSS / etcd peak RSS', (r) => `${r.peakRssMiB.toFixed(0)} / ${Number.isFinite(r.etcdPeakRssMiB) ? r.etcdPeakRssMiB.toFixed(0) : '-'} MiB`);
  row('other processes busy (> 10% of a core) during a.+b.', (r) => fmtInt(r.others.length));
  lines.push(rule);
  for (const s of skipped) lines.push(`skipped: ${s}`);
  if (results.some((r) => r.others.length)) lines.push('WARNING: other processes competed for the CPU (see Detail): rerun on a quiet machine.');

  lines.push('');
  lines.push('Detail');
  for (const r of results) {
    const p = `  [${r.backend}]`;
    lines.push(`${p} when a. ended: runs {${r.a.runPhases}}, drift findings {${r.a.findingPhases}}`);
    lines.push(`${p} profile after a.: ${r.a.profileSummary}`);
    lines.push(`${p} profile after b.: ${r.b.profileSummary}`);
    if (r.a.canaryBreach) lines.push(`${p} CANARY BREACH: ${r.a.canaryBreach}`);
    for (const d of r.a.duplicates.slice(0, 5)) lines.push(`${p} duplicate: ${d}`);
    if (r.a.duplicates.length > 5) lines.push(`${p} ... and ${r.a.duplicates.length - 5} more duplicates`);
    for (const s of r.a.stuck.slice(0, 5)) lines.push(`${p} stuck: ${s}`);
    if (r.a.stuck.length > 5) lines.push(`${p} ... and ${r.a.stuck.length - 5} more stuck runs`);
    if (r.b.lost.length) lines.push(`${p} flips whose finding never changed (${FLIP_TIMEOUT_MS / 1000} s): ${r.b.lost.length}: ${r.b.lost.slice(0, 8).join(', ')}${r.b.lost.length > 8 ? ' ...' : ''}`);
    for (const x of r.notes) lines.push(`${p} note: ${x}`);
    if (r.others.length) lines.push(`${p} busy meanwhile: ${r.others.join('; ')}`);
    for (const x of r.refusedRuns.slice(0, 3)) lines.push(`${p} refused: ${x}`);
    for (const [label, e] of r.errors) lines.push(`${p} ${e.count} x failed ${label}: ${e.example}`);
    for (const x of r.watchProblems.slice(0, 5)) lines.push(`${p} watch: ${x}`);
    for (const l of r.logs.slice(0, 12)) lines.push(`${p} controller ${LEVELS[l.level] ?? l.level} x${l.count}: ${l.msg} -- ${l.example}`);
    if (r.logs.length > 12) lines.push(`${p} ... and ${r.logs.length - 12} more kinds of controller log lines at warn+`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const results: BackendResult[] = [];
  const skipped: string[] = [];
  const watchdog = setTimeout(() => {
    process.stdout.write(report(results, [...skipped, `cut short by the overall limit of ${OVERALL_TIMEOUT_MS / 1000} s while at "${lastProgress}"`]) + '\n');
    process.stderr.write(`bench:reconcile: did not finish within ${OVERALL_TIMEOUT_MS / 1000} s; tearing down\n`);
    process.exit(2);
  }, OVERALL_TIMEOUT_MS);
  watchdog.unref();
  const backends = (process.env.BENCH_BACKENDS ?? 'sqlite,etcd').split(',').map((b) => b.trim());
  for (const backend of backends) {
    if (backend !== 'sqlite' && backend !== 'etcd') throw new Error(`BENCH_BACKENDS: unknown backend "${backend}"`);
    // A backend gets its turn only when the ones before it would fit again in the time left.
    const t0 = performance.now();
    const each = results.length ? (performance.now() - started) / results.length : 0;
    if (results.length && remaining() < each * 1.2) {
      skipped.push(`${backend}: not enough time left (${(remaining() / 1000).toFixed(0)} s; a backend took ${(each / 1000).toFixed(0)} s)`);
      continue;
    }
    results.push(await runBackend(backend));
    progress(`${backend}: done in ${secs(performance.now() - t0)}`);
  }
  clearTimeout(watchdog);
  process.stdout.write(report(results, skipped) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:reconcile failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
