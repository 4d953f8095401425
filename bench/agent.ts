// Agent benchmark (npm run bench:agent): the real hyprnode, chrooted into a debootstrapped Debian test host
// in its own network namespace, against a real controller (in this process) reached over a veth pair with TLS —
// the set-up of test/e2e/agent-host.test.ts. In one run it prints:
//   a. idle RSS and CPU of the agent over 60 s, sampled from /proc every second after a 10 s warm-up, next to a
//      bare `node -e "setInterval(()=>{},1000)"` started the same way in the same host and sampled over the same
//      seconds: RSS ratio agent/bare (goal ≤ 1.5) and agent CPU in % of one core (goal ≤ 1 %);
//   b. the delay from a file change (PasswordAuthentication toggled in /etc/ssh/sshd_config.d/50-bench.conf) to
//      the Node's status showing it, seen on a watch of the Node over the API (not polled): 50 changes 1.5 s
//      apart, p50/p99/max (goal p99 ≤ 1 s);
//   c. the machine.
// The agent runs with its real defaults (heartbeat 10 s, scan 15 min, status at least every 5 min), started by
// the shipped systemd unit's ExecStart (V8 flags included), as users run it. Every wait is bounded, and the host, the processes and the controller are torn down even when something fails.
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { agentCommand, agentEnvironment } from '@hyprbox/e2e/lib/agent-command';
import { startTestController } from '@hyprbox/e2e/lib/controller';
import type { TestController } from '@hyprbox/e2e/lib/controller';
import { REPO_ROOT } from '@hyprbox/e2e/lib/paths';
import { createTestHost } from '@hyprbox/e2e/lib/testhost';
import type { TestHost } from '@hyprbox/e2e/lib/testhost';

const NODE_NAME = 'bench-agent';
const G = '/apis/hyprbox.io/v1alpha1';
const NODE_PATH = `${G}/namespaces/default/nodes/${NODE_NAME}`;
const FIELD = 'sshd.passwordAuthentication';
const CONF = '/etc/ssh/sshd_config.d/50-bench.conf';
/** As the systemd unit starts it, with the host's node binary. */
const agentArgv = agentCommand('/usr/local/bin/node');
const BARE_SCRIPT = 'setInterval(()=>{},1000)';

const WARMUP_MS = 10_000;
const IDLE_MS = 60_000;
const SAMPLE_MS = 1_000;
const CHANGES = 50;
const CHANGE_SPACING_MS = 1_500;
/** A change not seen on the watch within this time is counted lost (and fails the goal). */
const CHANGE_TIMEOUT_MS = 10_000;
/** The agent's first status (enrollment, first scan) must appear within this time. */
const STARTUP_TIMEOUT_MS = 60_000;
/** The whole benchmark; past it, everything is torn down and the process exits non-zero. */
const OVERALL_TIMEOUT_MS = 15 * 60_000;

const GOAL_RSS_RATIO = 1.5;
const GOAL_CPU_PCT = 1;
const GOAL_P99_MS = 1_000;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (msg: string): void => void process.stderr.write(`bench:agent: ${msg}\n`);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;
const ms = (n: number): string => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'lost');

// ---------------------------------------------------------------------------------------------------------
// Machine line and /proc sampling

function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // keep os.cpus()'s model
  }
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, Linux ${release()}`;
}

function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}
const CLK_TCK = clockTicks();

interface ProcSample {
  rssKb: number;
  /** utime + stime of the process itself, in clock ticks. */
  ticks: number;
  /** cutime + cstime: children it has waited for (systeminformation's and probes' commands). */
  childTicks: number;
}

function sample(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!rss) throw new Error(`/proc/${pid}/status has no VmRSS (a zombie?)`);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (comm) ": field 3 (state) is index 0, so utime/stime/cutime/cstime (14-17) are 11-14.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKb: Number(rss[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
}

/** Waits until the spawned wrapper chain (ip netns exec → unshare → chroot → sh → exec) has become `want`. */
async function settledPid(child: ChildProcess, want: (argv: string[]) => boolean, what: string): Promise<number> {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${what} did not start`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it could be sampled`);
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (want(argv)) return pid;
    } catch {
      // not readable yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: pid ${pid} never became the node process`);
    await delay(20);
  }
}

interface IdleResult {
  rssFirstKb: number;
  rssLastKb: number;
  rssMeanKb: number;
  rssMaxKb: number;
  /** Seconds into the window of the largest RSS sample. */
  rssMaxAtS: number;
  cpuPct: number;
  cpuSeconds: number;
  busiestSecondPct: number;
  childSeconds: number;
}

/** Samples every pid every second for `durationMs`, all in the same ticks. */
async function sampleIdle(pids: number[], durationMs: number): Promise<IdleResult[]> {
  const series: ProcSample[][] = pids.map(() => []);
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; ; i++) {
    // Deadline-based: no drift, exactly durationMs / SAMPLE_MS intervals.
    const due = start + i * SAMPLE_MS;
    const wait = due - performance.now();
    if (wait > 0) await delay(wait);
    times.push(performance.now());
    pids.forEach((pid, k) => series[k]!.push(sample(pid)));
    if (i * SAMPLE_MS >= durationMs) break;
  }
  const elapsedS = (times[times.length - 1]! - times[0]!) / 1000;
  return series.map((s) => {
    const first = s[0]!;
    const last = s[s.length - 1]!;
    let busiest = 0;
    for (let i = 1; i < s.length; i++) {
      const dt = (times[i]! - times[i - 1]!) / 1000;
      busiest = Math.max(busiest, (100 * (s[i]!.ticks - s[i - 1]!.ticks)) / CLK_TCK / dt);
    }
    const cpuSeconds = (last.ticks - first.ticks) / CLK_TCK;
    const rssMaxKb = Math.max(...s.map((x) => x.rssKb));
    const maxAt = s.findIndex((x) => x.rssKb === rssMaxKb);
    return {
      rssFirstKb: first.rssKb,
      rssLastKb: last.rssKb,
      rssMeanKb: s.reduce((a, x) => a + x.rssKb, 0) / s.length,
      rssMaxKb,
      rssMaxAtS: (times[maxAt]! - times[0]!) / 1000,
      cpuPct: (100 * cpuSeconds) / elapsedS,
      cpuSeconds,
      busiestSecondPct: busiest,
      childSeconds: (last.childTicks - first.childTicks) / CLK_TCK,
    };
  });
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

// ---------------------------------------------------------------------------------------------------------
// The Node, watched over the API

interface NodeObj {
  status?: { agentVersion?: string; probes?: Record<string, { state: string; value?: unknown }> };
}

const probeValue = (n: NodeObj | undefined): unknown => {
  const f = n?.status?.probes?.[FIELD];
  return f?.state === 'ok' ? f.value : undefined;
};

/** A watch on one Node: every ADDED/MODIFIED event's value of FIELD, with the time its bytes arrived. */
class NodeWatch {
  private waiter: { value: string; resolve: (t: number) => void; reject: (e: Error) => void } | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private closed = false;
  private failure: Error | undefined;
  latest: unknown;
  events = 0;

  async open(c: TestController): Promise<void> {
    const res = await c.api(`${G}/namespaces/default/nodes?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${NODE_NAME}`)}&timeoutSeconds=900`);
    if (res.status !== 200 || !res.body) throw new Error(`watch of the Node: HTTP ${res.status}`);
    this.reader = res.body.getReader();
    void this.pump(this.reader);
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const t = performance.now();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) this.event(JSON.parse(line) as { type: string; object: NodeObj }, t);
        }
      }
      if (!this.closed) this.fail(new Error('the watch of the Node ended'));
    } catch (err) {
      if (!this.closed) this.fail(err as Error);
    }
  }

  private event(ev: { type: string; object: NodeObj }, t: number): void {
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
    this.events++;
    this.latest = probeValue(ev.object);
    if (this.waiter && this.latest === this.waiter.value) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(t);
    }
  }

  private fail(err: Error): void {
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** Resolves with the arrival time of the first event, from now on, whose FIELD is `value`; undefined at timeout. */
  next(value: string, timeoutMs: number): Promise<number | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = {
        value,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reader?.cancel().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Keeps the last lines a child printed, to show when something fails. */
function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (d: Buffer): void => {
    lines.push(...d.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // The agent gives itself 10 s to stop; past 12 s it is killed.
  const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
  await gone;
  clearTimeout(timer);
}

async function main(): Promise<number> {
  const machine = machineLine();
  let host: TestHost | undefined;
  let c: TestController | undefined;
  let agent: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  let agentLog = (): string => '';
  const watch = new NodeWatch();
  try {
    progress('creating the test host (Debian bookworm, own network namespace)');
    host = await createTestHost({ network: true, name: NODE_NAME });
    c = await startTestController('sqlite', ['--listen', `${host.hostAddress}:0`]);
    const ctl = c;
    const tok = await ctl.api(`${G}/tokens`, { method: 'POST', json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec: { node: { namespace: 'default', name: NODE_NAME } } } });
    if (tok.status !== 201) throw new Error(`creating the node token: HTTP ${tok.status} ${await tok.text()}`);
    const token = ((await tok.json()) as { status: { token: string } }).status.token;
    await host.bind(process.execPath, '/usr/local/bin/node');
    await host.bind(REPO_ROOT, '/opt/hyprbox');
    // The file the changes toggle exists from the start (a config file being edited, not one appearing).
    host.writeFile(CONF, 'PasswordAuthentication yes\n');

    const env = {
      HYPRBOX_API_URL: ctl.url,
      HYPRBOX_NODE_TOKEN: token,
      HYPRBOX_NODE_NAME: NODE_NAME,
      HYPRBOX_CA_DATA: Buffer.from(ctl.controller.caCert!).toString('base64'),
      HYPRBOX_LOG_LEVEL: 'warn',
    };
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    progress('starting hyprnode and the bare node process in the host');
    agent = host.spawn(agentArgv, { env: { ...agentEnvironment(), ...env }, stdio });
    agentLog = tail(agent);
    bare = host.spawn(['/usr/local/bin/node', '-e', BARE_SCRIPT], { env, stdio });
    tail(bare);
    const agentPid = await settledPid(agent, (a) => a.join(' ') === agentArgv.join(' '), 'hyprnode');
    const barePid = await settledPid(bare, (a) => a[0] === '/usr/local/bin/node' && a[1] === '-e', 'the bare node process');

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      const res = await ctl.api(NODE_PATH);
      const text = await res.text();
      if (res.status === 200 && probeValue(JSON.parse(text) as NodeObj) === 'yes') break;
      if (agent.exitCode !== null) throw new Error(`hyprnode exited with ${agent.exitCode}:\n${agentLog()}`);
      if (Date.now() > deadline) throw new Error(`hyprnode did not report its status within ${STARTUP_TIMEOUT_MS / 1000} s:\n${agentLog()}`);
      await delay(200);
    }

    // (a) idle
    progress(`agent registered; warm-up ${WARMUP_MS / 1000} s, then ${IDLE_MS / 1000} s of idle sampling`);
    await delay(WARMUP_MS);
    const [a, b] = (await sampleIdle([agentPid, barePid], IDLE_MS)) as [IdleResult, IdleResult];
    const ratio = a.rssMaxKb / b.rssMaxKb;
    const ratioMean = a.rssMeanKb / b.rssMeanKb;

    // (b) file change → status on the watch
    progress(`watching the Node; ${CHANGES} changes ${CHANGE_SPACING_MS} ms apart`);
    await watch.open(ctl);
    const initial = Date.now() + 10_000;
    while (watch.latest !== 'yes') {
      if (Date.now() > initial) throw new Error(`the watch did not show ${FIELD}=yes`);
      await delay(20);
    }
    const delays: number[] = [];
    let value = 'yes';
    for (let i = 0; i < CHANGES; i++) {
      value = value === 'yes' ? 'no' : 'yes';
      const seen = watch.next(value, CHANGE_TIMEOUT_MS);
      const t0 = performance.now();
      host.writeFile(CONF, `PasswordAuthentication ${value}\n`);
      const t1 = await seen;
      delays.push(t1 === undefined ? Infinity : t1 - t0);
      const rest = t0 + CHANGE_SPACING_MS - performance.now();
      if (rest > 0) await delay(rest);
    }
    await watch.close();
    if (agent.exitCode !== null || bare.exitCode !== null) throw new Error('a measured process exited during the benchmark');
    const sorted = [...delays].sort((x, y) => x - y);
    const lost = delays.filter((d) => !Number.isFinite(d)).length;
    const p50 = percentile(sorted, 50);
    const p90 = percentile(sorted, 90);
    const p99 = percentile(sorted, 99);
    const max = sorted[sorted.length - 1]!;

    const row = (name: string, r: IdleResult): string =>
      `  ${name.padEnd(10)} RSS mean ${mib(r.rssMeanKb).padStart(10)}  max ${mib(r.rssMaxKb).padStart(10)} (at ${r.rssMaxAtS.toFixed(0)} s; first ${mib(r.rssFirstKb)}, last ${mib(r.rssLastKb)})\n` +
      `  ${''.padEnd(10)} CPU ${r.cpuPct.toFixed(2)} % of a core (${r.cpuSeconds.toFixed(2)} s in ${IDLE_MS / 1000} s; busiest second ${r.busiestSecondPct.toFixed(0)} %; waited-for children ${r.childSeconds.toFixed(2)} s, not counted)`;
    const out = [
      '',
      `hyprnode benchmark — the real agent in a Debian bookworm test host (chroot + own network namespace), controller over TLS on a veth pair`,
      `agent command (the unit's ExecStart): ${agentArgv.join(' ')}${Object.keys(agentEnvironment()).length ? `; the unit's Environment=: ${Object.entries(agentEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
      `agent settings: defaults (HYPRBOX_HEARTBEAT_INTERVAL=10s, HYPRBOX_SCAN_INTERVAL=15m, HYPRBOX_STATUS_INTERVAL=5m), log level warn`,
      '',
      `(a) idle, ${IDLE_MS / 1000} s sampled every ${SAMPLE_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up (both processes over the same seconds; CPU = utime+stime, CLK_TCK ${CLK_TCK})`,
      row('hyprnode', a),
      row('bare node', b),
      `  RSS agent/bare: ${ratio.toFixed(2)} (max), ${ratioMean.toFixed(2)} (mean)   goal ≤ ${GOAL_RSS_RATIO}   ${verdict(ratio <= GOAL_RSS_RATIO)}`,
      `  agent CPU: ${a.cpuPct.toFixed(2)} % of one core   goal ≤ ${GOAL_CPU_PCT} %   ${verdict(a.cpuPct <= GOAL_CPU_PCT)}`,
      '',
      `(b) file change → Node status on a watch: ${CHANGES} toggles of PasswordAuthentication in ${CONF}, ${CHANGE_SPACING_MS / 1000} s apart (${watch.events} watch events)`,
      `  min ${ms(sorted[0]!)}  p50 ${ms(p50)}  p90 ${ms(p90)}  p99 ${ms(p99)}  max ${ms(max)}${lost ? `  (${lost} not seen within ${CHANGE_TIMEOUT_MS / 1000} s)` : ''}   goal p99 ≤ ${GOAL_P99_MS} ms   ${verdict(lost === 0 && p99 <= GOAL_P99_MS)}`,
      `  all (ms): ${delays.map((d) => (Number.isFinite(d) ? Math.round(d) : 'lost')).join(' ')}`,
      '',
      `(c) machine: ${machine}`,
      '',
    ];
    process.stdout.write(out.join('\n'));
    return 0;
  } catch (err) {
    process.stderr.write(`bench:agent failed: ${(err as Error).stack ?? String(err)}\n`);
    const log = agentLog();
    if (log) process.stderr.write(`last agent output:\n${log}\n`);
    return 1;
  } finally {
    progress('tearing down');
    await watch.close();
    await Promise.allSettled([stopChild(agent), stopChild(bare)]);
    await c?.stop().catch((e: unknown) => progress(`controller stop: ${(e as Error).message}`));
    await host?.destroy().catch((e: unknown) => progress(`host destroy: ${(e as Error).message}`));
  }
}

// Bounded as a whole: past the limit, exit; the test-host harness destroys live hosts on exit.
const watchdog = setTimeout(() => {
  process.stderr.write(`bench:agent: did not finish within ${OVERALL_TIMEOUT_MS / 60_000} min; giving up\n`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:agent: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
