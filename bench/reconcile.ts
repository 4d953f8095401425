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
// At most 32 agent requests are in flight. Every wait is bounded; everything is torn down.
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
import { HttpClient, delay, envInt, fmtInt, fmtMs, machineLine, percentile, startEtcd, tempDir, terminate } from './lib.js';
import type { EtcdServer } from './lib.js';

const NODES = envInt('BENCH_NODES', 1_000);
const FLIPS = Math.min(envInt('BENCH_FLIPS', 200), NODES);
const FLIP_BATCH = 4;
const FLIP_GAP_MS = 50;
/** Agent requests in flight at most (all simulated agents together). */
const CONCURRENCY = 32;
const HEARTBEAT_MS = 10_000;
/** The simulated agent's re-probe after a run (the real one re-runs its probes: sshd -T and friends). */
const RESCAN_MS = 100;

const SETUP_TIMEOUT_MS = 120_000;
const ROLLOUT_TIMEOUT_MS = 150_000;
/** A flip whose finding has not changed within this time is counted lost. */
const FLIP_TIMEOUT_MS = 15_000;
const FLIPS_PHASE_MS = 100_000;
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
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await f();
    } finally {
      // Hand the slot straight to the next waiter, so nobody overtakes it.
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}

interface Reply {
  status: number;
  body: string;
}

class Wire {
  readonly pool: Agent;
  readonly limiter = new Limiter(CONCURRENCY);
  private readonly host: string;
  private readonly port: number;
  requests = 0;
  /** Failed requests (transport errors and unexpected statuses), by label. */
  readonly errors = new Map<string, { count: number; example: string }>();

  constructor(baseUrl: string) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:') throw new Error(`the benchmark speaks plain HTTP only (got ${baseUrl})`);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.pool = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
  }

  /** One request in a limiter slot; `onStart` runs when it actually goes out (after any queueing). */
  send(token: string, method: string, path: string, body?: unknown, contentType = 'application/json', onStart?: () => void): Promise<Reply> {
    return this.limiter.run(() => {
      onStart?.();
      this.requests++;
      return this.raw(token, method, path, body, contentType);
    });
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
    const e = this.errors.get(label);
    if (e) e.count++;
    else this.errors.set(label, { count: 1, example: detail.slice(0, 300) });
    return false;
  }

  /** send(), expecting `want`; a failure is recorded and answered with undefined. */
  async expect(label: string, want: number, token: string, method: string, path: string, body?: unknown, contentType?: string): Promise<Reply | undefined> {
    try {
      const r = await this.send(token, method, path, body, contentType);
      if (r.status === want) return r;
      this.fail(label, `${method} ${path}: HTTP ${r.status}: ${r.body}`);
    } catch (err) {
      this.fail(label, `${method} ${path}: ${(err as Error).message}`);
    }
    return undefined;
  }

  close(): void {
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
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim()) this.line(line, at);
          }
        });
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
  const child = fork(join(CHILD_DIR, 'controller-child.js'), args, {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
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
  setup: { tokensMs: number; registerMs: number; requests: number };
  a: {
    findingsOpenMs: number;
    canaryCreatedMs: number;
    canarySucceededMs: number;
    canaryResolvedMs: number;
    secondRunMs: number;
    allRunsMs: number;
    allSucceededMs: number;
    allResolvedMs: number;
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
  };
  claimConflicts: number;
  refusedRuns: string[];
  errors: Map<string, { count: number; example: string }>;
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

function profileSummary(p: Obj | undefined): string {
  const s = p?.status as { matched?: number; compliant?: number; drifted?: number; remediating?: number; failed?: number; unknown?: number; health?: string; conditions?: Array<{ type: string; status: string; reason: string }> } | undefined;
  if (!s) return 'no status';
  const cond = (t: string): string => {
    const c = s.conditions?.find((x) => x.type === t);
    return c ? `${t}=${c.status}(${c.reason})` : `${t}=?`;
  };
  return `matched ${s.matched ?? '?'}, compliant ${s.compliant ?? '?'}, drifted ${s.drifted ?? '?'}, remediating ${s.remediating ?? '?'}, failed ${s.failed ?? '?'}, unknown ${s.unknown ?? '?'}; ${s.health ?? '?'}; ${cond('Ready')} ${cond('Stalled')}`;
}

async function runBackend(backend: Backend): Promise<BackendResult> {
  const tmp = await tempDir('hyprbox-bench-reconcile-');
  let etcd: EtcdServer | undefined;
  let ctl: ControllerProc | undefined;
  let wire: Wire | undefined;
  let admin: HttpClient | undefined;
  const watches: Watch[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    if (backend === 'etcd') etcd = await startEtcd();
    ctl = await startControllerChild(tmp.dir, backend, etcd?.endpoints ?? []);
    const { url, token: adminToken, pid } = ctl.ready;
    progress(`${backend}: controller up at ${url} (pid ${pid})`);
    admin = new HttpClient(url, adminToken, 4);
    const w = (wire = new Wire(url));
    const signingKey = (await admin.request('GET', '/hyprbox/v1/signing-key')).body;
    if (!signingKey.includes('PUBLIC KEY')) throw new Error('the controller published no run-signing key');
    await admin.json('POST', `${G}/presets`, 201, {
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
    const t0 = performance.now();
    const nodes = new Map<string, SimNode>();
    const setupDeadline = performance.now() + Math.min(SETUP_TIMEOUT_MS, remaining());
    const inTime = (): void => {
      if (performance.now() > setupDeadline) throw new Error(`${backend}: setup did not finish within ${SETUP_TIMEOUT_MS / 1000} s`);
    };
    await Promise.all(
      names.map(async (name) => {
        const r = await w.send(adminToken, 'POST', `${G}/tokens`, { apiVersion: API, kind: 'Token', metadata: {}, spec: { node: { namespace: NS, name } } });
        inTime();
        if (r.status !== 201) throw new Error(`minting the token of ${name}: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
        nodes.set(name, { name, token: (JSON.parse(r.body) as { status: { token: string } }).status.token, claimed: new Set(), claiming: new Set() });
      }),
    );
    const tokensMs = performance.now() - t0;
    progress(`${backend}: ${NODES} node tokens in ${secs(tokensMs)}`);
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
        const st = await w.send(n.token, 'PATCH', `${NSP}/nodes/${n.name}/status`, probeStatus('yes', new Date()), 'application/merge-patch+json');
        if (st.status !== 200) throw new Error(`first status of ${n.name}: HTTP ${st.status}: ${st.body.slice(0, 300)}`);
        inTime();
      }),
    );
    const registerMs = performance.now() - t1;
    const setupRequests = w.requests;
    progress(`${backend}: ${NODES} nodes registered (Node, Lease, status) in ${secs(registerMs)}`);

    // Heartbeats, as the real agent: every node renews its Lease every 10 s, spread evenly over the period.
    let hb = 0;
    heartbeat = setInterval(() => {
      const n = nodes.get(names[hb++ % NODES]!)!;
      void w.expect('lease renewal', 200, n.token, 'PATCH', `${NSP}/leases/${n.name}`, { spec: { renewTime: renewTime() } }, 'application/merge-patch+json');
    }, HEARTBEAT_MS / NODES);
    heartbeat.unref();

    // Watches: runs of the profile (which also drives the simulated agents), findings, and the profile.
    const runs = new Map<string, RunSeen>();
    const runsByNode = new Map<string, string[]>();
    const findings = new Map<string, FindingSeen>();
    const flips = new Map<string, Flip>();
    let tApply = NaN;
    let secondRunAt = NaN;
    let canary: RunSeen | undefined;
    let canaryBreach: string | undefined;
    let claimConflicts = 0;
    const refused: string[] = [];
    let profileEvents = 0;
    const markedFailed = new Set<string>();
    let phaseB = false;
    let newRunsInB = 0;

    const execute = async (n: SimNode, run: Obj): Promise<void> => {
      const uid = run.metadata.uid!;
      const name = run.metadata.name!;
      if (n.claimed.has(uid) || n.claiming.has(uid)) return;
      const v = verifyRun(run as unknown as SignableRun, signingKey, { now: new Date(), executed: (u) => n.claimed.has(u) });
      if (!v.ok) {
        refused.push(`${name}: ${v.reason}: ${v.message}`);
        await w.expect('report a refused run', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, { status: { phase: 'Failed', message: `${v.reason}: ${v.message}`, finishedAt: new Date().toISOString() } }, 'application/merge-patch+json');
        return;
      }
      n.claiming.add(uid);
      let claim: Reply;
      try {
        claim = await w.send(n.token, 'PUT', `${NSP}/runs/${name}/status`, { ...run, status: { ...(run.status ?? {}), phase: 'Claimed', claimedBy: `hyprnode@${n.name}`, observedGeneration: run.metadata.generation ?? 1 } });
      } catch (err) {
        w.fail('claim', `${name}: ${(err as Error).message}`);
        return;
      } finally {
        n.claiming.delete(uid);
      }
      if (claim.status === 409) {
        // Changed since we saw it (or claimed elsewhere): like the agent, look at the next version of it.
        claimConflicts++;
        const fresh = await w.send(n.token, 'GET', `${NSP}/runs/${name}`).catch(() => undefined);
        if (fresh?.status === 200) {
          const f = JSON.parse(fresh.body) as Obj;
          if (phaseOf(f) === 'Pending') await execute(n, f);
        }
        return;
      }
      if (claim.status !== 200) {
        w.fail('claim', `${name}: HTTP ${claim.status}: ${claim.body}`);
        return;
      }
      n.claimed.add(uid);
      const steps = ((run.spec?.steps as Array<{ name: string }> | undefined) ?? []).map((s) => s.name);
      const startedAt = new Date().toISOString();
      await w.expect('run Running', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, { status: { phase: 'Running', claimedBy: `hyprnode@${n.name}`, startedAt, steps: steps.map((s) => ({ name: s, phase: 'Pending' })) } }, 'application/merge-patch+json');
      const finished = new Date();
      const done = await w.expect('run Succeeded', 200, n.token, 'PATCH', `${NSP}/runs/${name}/status`, {
        status: {
          phase: 'Succeeded',
          message: 'precheck, apply and verify passed',
          finishedAt: finished.toISOString(),
          logBytes: 0,
          steps: steps.map((s) => (s === 'rollback' ? { name: s, phase: 'Skipped' } : { name: s, phase: 'Succeeded', startedAt, finishedAt: finished.toISOString(), exitCode: 0 })),
        },
      }, 'application/merge-patch+json');
      const seen = runs.get(name);
      if (done && seen) seen.succeededAt ??= performance.now();
      // The re-probe after the run: strictly after finishedAt, as the controller requires a fresh probe.
      await delay(RESCAN_MS);
      const at = new Date(Math.max(Date.now(), finished.getTime() + 1));
      await w.expect('status after a run', 200, n.token, 'PATCH', `${NSP}/nodes/${n.name}/status`, probeStatus('no', at), 'application/merge-patch+json');
    };

    const onRun = (type: string, run: Obj, at: number): void => {
      const name = run.metadata.name!;
      const node = (run.spec?.nodeName as string | undefined) ?? '?';
      let seen = runs.get(name);
      if (type === 'DELETED') return;
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

    // a. Apply the profile; wait for every run, then every finding resolved.
    progress(`${backend}: a. applying the profile to ${NODES} nodes`);
    const cpuA0 = cpuSeconds(pid);
    tApply = performance.now();
    await admin.json('POST', `${NSP}/nodeprofiles`, 201, {
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
    const aDeadline = Math.min(ROLLOUT_TIMEOUT_MS, remaining());
    const since = (t: number | undefined): number => (t === undefined ? NaN : t - tApply);
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
        progress(`${backend}: a. every node has a run after ${secs(allRunsAt - tApply)}`);
      }
      return runsByNode.size >= NODES && findings.size >= NODES && [...findings.values()].every((f) => f.phase === 'Resolved');
    }, aDeadline, 50);
    const cpuA = cpuSeconds(pid) - cpuA0;
    if (!doneA) progress(`${backend}: a. timed out: ${runsByNode.size} nodes with runs, ${[...findings.values()].filter((f) => f.phase === 'Resolved').length} findings resolved`);
    else progress(`${backend}: a. every drift finding resolved after ${secs(performance.now() - tApply)}`);
    // The truth from a list (not the watch): duplicates and runs that never finished.
    await delay(1000);
    const listed = await admin.json<{ items: Obj[] }>('GET', `${NSP}/runs?labelSelector=${encodeURIComponent(`hyprbox.io/profile=${PROFILE}`)}`, 200);
    const perNode = new Map<string, string[]>();
    for (const r of listed.items) perNode.set(r.spec!.nodeName as string, [...(perNode.get(r.spec!.nodeName as string) ?? []), r.metadata.name!]);
    const duplicates = [...perNode.entries()].filter(([, v]) => v.length > 1).map(([k, v]) => `${k}: ${v.join(', ')}`);
    const stuck = listed.items.filter((r) => !FINAL.has(phaseOf(r))).map((r) => `${r.metadata.name} (${phaseOf(r)}${r.status?.claimedBy ? `, claimed by ${String(r.status.claimedBy)}` : ''})`);
    const profileA = await admin.json<Obj>('GET', `${NSP}/nodeprofiles/${PROFILE}`, 200);
    const canaryFinding = canary ? findings.get(canary.node) : undefined;
    const a: BackendResult['a'] = {
      findingsOpenMs: allOf(findings, (f) => f.firstAt) - tApply,
      canaryCreatedMs: since(canary?.createdAt),
      canarySucceededMs: since(canary?.succeededAt),
      canaryResolvedMs: since(canaryFinding?.resolvedAt),
      secondRunMs: since(Number.isFinite(secondRunAt) ? secondRunAt : undefined),
      allRunsMs: since(Number.isFinite(allRunsAt) ? allRunsAt : undefined),
      allSucceededMs: allOf(runs, (r) => r.succeededAt) - tApply,
      allResolvedMs: doneA ? allOf(findings, (f) => f.resolvedAt) - tApply : NaN,
      runsCreated: listed.items.length,
      nodesWithRuns: perNode.size,
      duplicates,
      stuck,
      ...(canaryBreach ? { canaryBreach } : {}),
      proceededBeforeFreshProbe: Number.isFinite(secondRunAt) && (canaryFinding?.resolvedAt === undefined || secondRunAt < canaryFinding.resolvedAt),
      findingEventsPerNode: [...findings.values()].reduce((s, f) => s + f.events, 0) / Math.max(1, findings.size),
      profileEvents,
      profileSummary: profileSummary(profileA),
      controllerCpuS: cpuA,
      timedOut: !doneA,
    };

    // b. Probe flips: status change → drift finding change, in small batches.
    await delay(2000);
    progress(`${backend}: b. ${FLIPS} probe flips in batches of ${FLIP_BATCH}`);
    phaseB = true;
    const cpuB0 = cpuSeconds(pid);
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
          let sent = NaN;
          try {
            const r = await w.send(n.token, 'PATCH', `${NSP}/nodes/${name}/status`, probeStatus('yes', new Date()), 'application/merge-patch+json', () => {
              sent = performance.now();
              flip.t0 = sent;
              flips.set(name, flip);
            });
            if (r.status !== 200) w.fail('flip', `${name}: HTTP ${r.status}: ${r.body}`);
            else patchMs.push(performance.now() - sent);
          } catch (err) {
            w.fail('flip', `${name}: ${(err as Error).message}`);
          }
        }),
      );
      await until(() => batch.every((name) => flips.get(name)?.seenAt !== undefined), Math.min(FLIP_TIMEOUT_MS, Math.max(0, bDeadline - performance.now())), 5);
      await delay(FLIP_GAP_MS);
    }
    const cpuB = cpuSeconds(pid) - cpuB0;
    await delay(2000);
    const delays = [...flips.values()].filter((f) => f.seenAt !== undefined).map((f) => f.seenAt! - f.t0).sort((x, y) => x - y);
    const phasesAfter: Record<string, number> = {};
    for (const f of flips.values()) if (f.phase) phasesAfter[f.phase] = (phasesAfter[f.phase] ?? 0) + 1;
    patchMs.sort((x, y) => x - y);
    const profileB = await admin.json<Obj>('GET', `${NSP}/nodeprofiles/${PROFILE}`, 200);
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
    };
    progress(`${backend}: b. ${b.measured}/${b.flips} flips seen, p50 ${fmtMs(b.p50)}, p99 ${fmtMs(b.p99)}`);

    clearInterval(heartbeat);
    heartbeat = undefined;
    for (const x of watches) x.close();
    const rss = peakRssMiB(pid);
    const etcdRss = peakRssMiB(etcd?.pid);
    await ctl.stop();
    const logs = [...ctl.logs.values()].sort((x, y) => y.level - x.level || y.count - x.count);
    return {
      backend,
      setup: { tokensMs, registerMs, requests: setupRequests },
      a,
      b,
      claimConflicts,
      refusedRuns: refused,
      errors: w.errors,
      watchProblems: watches.flatMap((x) => x.problems),
      logs,
      peakRssMiB: rss,
      etcdPeakRssMiB: etcdRss,
    };
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    for (const x of watches) x.close();
    wire?.close();
    admin?.close();
    await ctl?.stop();
    await etcd?.stop();
    tmp.remove();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

function report(results: BackendResult[], skipped: string[]): string {
  const L = 58;
  const C = 16;
  const lines: string[] = [];
  const row = (label: string, f: (r: BackendResult) => string): void => {
    lines.push(label.padEnd(L) + results.map((r) => f(r).padStart(C)).join(''));
  };
  const rule = '-'.repeat(L + C * results.length);
  lines.push(`HyprBox reconcile benchmark, ${new Date().toISOString().slice(0, 10)}`);
  lines.push(`Machine: ${machineLine()}`);
  lines.push(
    `Load: ${fmtInt(NODES)} simulated agents (real protocol over HTTP, own node tokens, at most ${CONCURRENCY} requests in flight, ` +
      `Lease renewed every ${HEARTBEAT_MS / 1000} s, re-probe ${RESCAN_MS} ms after a run); controller in its own child process; ` +
      'times from the NodeProfile POST, seen on admin watches.',
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
  row('   -> EVERY DRIFT FINDING RESOLVED', (r) => secs(r.a.allResolvedMs) + (r.a.timedOut ? ' (timeout)' : ''));
  row('   runs created / nodes with a run', (r) => `${fmtInt(r.a.runsCreated)} / ${fmtInt(r.a.nodesWithRuns)}`);
  row('   duplicate runs / stuck runs / canary breach', (r) => `${r.a.duplicates.length} / ${r.a.stuck.length} / ${r.a.canaryBreach ? 'YES' : 'no'}`);
  row('   rollout went on before the canary was re-probed', (r) => (r.a.proceededBeforeFreshProbe ? 'YES' : 'no'));
  row('   finding writes per node (watch events)', (r) => r.a.findingEventsPerNode.toFixed(1));
  row('   NodeProfile writes (status patches, watch events)', (r) => fmtInt(r.a.profileEvents));
  row('   controller CPU during a.', (r) => `${r.a.controllerCpuS.toFixed(1)} s`);
  row(`b. status change -> drift finding changed (${FLIPS} flips, ${FLIP_BATCH}/batch)`, () => '');
  row('   p50', (r) => fmtMs(r.b.p50));
  row('   p99', (r) => fmtMs(r.b.p99));
  row('   max', (r) => fmtMs(r.b.max));
  row('   flips seen / sent', (r) => `${r.b.measured}/${r.b.flips}`);
  row('   status PATCH itself, p50', (r) => fmtMs(r.b.patchP50));
  row('   finding phase after the flip', (r) => Object.entries(r.b.phasesAfter).map(([k, v]) => `${k} ${v}`).join(', ') || '-');
  row('   Succeeded runs turned Failed by the controller', (r) => fmtInt(r.b.runsMarkedFailed));
  row('   new runs created', (r) => fmtInt(r.b.newRuns));
  row('   controller CPU during b.', (r) => `${r.b.controllerCpuS.toFixed(1)} s`);
  row('claim conflicts (409) / runs refused by an agent', (r) => `${r.claimConflicts} / ${r.refusedRuns.length}`);
  row('failed agent/admin requests', (r) => fmtInt([...r.errors.values()].reduce((s, e) => s + e.count, 0)));
  row('controller log lines at warn+', (r) => fmtInt(r.logs.reduce((s, l) => s + l.count, 0)));
  row('controller peak RSS / etcd peak RSS', (r) => `${r.peakRssMiB.toFixed(0)} / ${Number.isFinite(r.etcdPeakRssMiB) ? r.etcdPeakRssMiB.toFixed(0) : '-'} MiB`);
  lines.push(rule);
  for (const s of skipped) lines.push(`skipped: ${s}`);

  lines.push('');
  lines.push('Detail');
  for (const r of results) {
    const p = `  [${r.backend}]`;
    lines.push(`${p} profile after a.: ${r.a.profileSummary}`);
    lines.push(`${p} profile after b.: ${r.b.profileSummary}`);
    if (r.a.canaryBreach) lines.push(`${p} CANARY BREACH: ${r.a.canaryBreach}`);
    for (const d of r.a.duplicates.slice(0, 5)) lines.push(`${p} duplicate: ${d}`);
    if (r.a.duplicates.length > 5) lines.push(`${p} ... and ${r.a.duplicates.length - 5} more duplicates`);
    for (const s of r.a.stuck.slice(0, 5)) lines.push(`${p} stuck: ${s}`);
    if (r.a.stuck.length > 5) lines.push(`${p} ... and ${r.a.stuck.length - 5} more stuck runs`);
    if (r.b.lost.length) lines.push(`${p} flips never seen: ${r.b.lost.slice(0, 10).join(', ')}${r.b.lost.length > 10 ? ' ...' : ''}`);
    for (const x of r.refusedRuns.slice(0, 3)) lines.push(`${p} refused: ${x}`);
    for (const [label, e] of r.errors) lines.push(`${p} ${e.count} x failed ${label}: ${e.example}`);
    for (const x of r.watchProblems.slice(0, 5)) lines.push(`${p} watch: ${x}`);
    for (const l of r.logs.slice(0, 12)) lines.push(`${p} controller ${LEVELS[l.level] ?? l.level} x${l.count}: ${l.msg} -- ${l.example}`);
    if (r.logs.length > 12) lines.push(`${p} ... and ${r.logs.length - 12} more kinds of controller log lines at warn+`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:reconcile: did not finish within ${OVERALL_TIMEOUT_MS / 1000} s; tearing down\n`);
    process.exit(2);
  }, OVERALL_TIMEOUT_MS);
  watchdog.unref();
  const backends = (process.env.BENCH_BACKENDS ?? 'sqlite,etcd').split(',').map((b) => b.trim());
  const results: BackendResult[] = [];
  const skipped: string[] = [];
  for (const backend of backends) {
    if (backend !== 'sqlite' && backend !== 'etcd') throw new Error(`BENCH_BACKENDS: unknown backend "${backend}"`);
    // A backend gets its turn only when the one before it would fit again in the time left.
    const t0 = performance.now();
    const last = results.length ? (performance.now() - started) / results.length : 0;
    if (results.length && remaining() < last * 1.3) {
      skipped.push(`${backend}: not enough time left (${(remaining() / 1000).toFixed(0)} s; the previous backend took ${(last / 1000).toFixed(0)} s)`);
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
