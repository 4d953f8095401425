// The job runner: watches this node's Runs, refuses any that is unsigned, tampered, expired or already run,
// claims each exactly once (a resourceVersion precondition: of two agents, one wins), then runs
// precheck → apply → verify (→ rollback when verify fails and one is declared), streaming output to the
// Run's log at least every second and reporting every step.
import type { Run, RunStatus, RunStatusStep } from '@hyprbox/crds';
import { verifyRun } from '@hyprbox/crds/signing';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { ControllerApi } from '../controller-api.js';
import { classify } from '../kube.js';
import type { ListWatch } from '../list-watch.js';
import type { AgentState } from './state.js';
import { runStep } from './step.js';
import type { StepSpec } from './step.js';

export interface RunnerDeps {
  api: ControllerApi;
  state: AgentState;
  config: Pick<AgentConfig, 'nodeName' | 'namespace' | 'hostRoot'>;
  log: Logger;
  /** The pinned run-signing public key. */
  signingKey: string;
  /** After a run: re-probe at once so the controller can verify the state. */
  afterRun?: () => void;
  now?: () => Date;
}

const ORDER = ['precheck', 'apply', 'verify'] as const;
const iso = (d = new Date()): string => d.toISOString();

export class Runner {
  private readonly active = new Map<string, AbortController>();
  private watch: ListWatch<Run> | undefined;
  private stopped = false;
  private readonly identity: string;
  private readonly now: () => Date;

  constructor(private readonly d: RunnerDeps) {
    this.identity = `hyprnode@${d.config.nodeName}`;
    this.now = d.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    await this.recoverInterrupted();
    const watch = this.d.api.watchRuns({
      onChange: (r) => this.consider(r),
      // Before every relist or resumed watch, look again at every Pending run we know of: a claim that failed
      // while the controller was away is retried here (a relist reports no change for an unchanged run).
      onConnect: () => {
        for (const r of watch.list()) this.consider(r);
      },
      onError: (err) => {
        const c = classify(err);
        this.d.log.warn({ err: c.message, code: c.code }, 'run watch failed; relisting');
      },
    });
    this.watch = watch;
    await watch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch?.stop();
  }

  /** Runs this agent claimed before it restarted are reported Failed (AgentRestarted), never run again. */
  private async recoverInterrupted(): Promise<void> {
    const { items } = await this.d.api.listRuns();
    for (const run of items) {
      const st = run.status;
      if (st?.claimedBy === this.identity && (st.phase === 'Claimed' || st.phase === 'Running')) {
        await this.d.api.patchRunStatus(run.metadata.name!, { phase: 'Failed', finishedAt: iso(this.now()), message: 'AgentRestarted: the agent restarted while this run was in progress; it was not run again' });
        this.d.log.warn({ run: run.metadata.name }, 'run interrupted by an agent restart marked Failed');
      }
    }
  }

  private consider(run: Run): void {
    const uid = run.metadata.uid!;
    if (run.spec.nodeName !== this.d.config.nodeName) return;
    const running = this.active.get(uid);
    if (running) {
      if (run.spec.cancel) running.abort();
      return;
    }
    const phase = run.status?.phase ?? 'Pending';
    if (phase !== 'Pending' || run.spec.cancel) return;
    void this.execute(run).catch((err: unknown) => {
      this.d.log.warn({ run: run.metadata.name, err: classify(err).message }, 'could not start the run; will look again');
      setTimeout(() => {
        if (this.stopped) return;
        this.d.api.getRun(run.metadata.name!).then((fresh) => this.consider(fresh), () => undefined);
      }, 2000).unref();
    });
  }

  /** Verifies, claims and executes one Run. */
  async execute(run: Run): Promise<void> {
    const name = run.metadata.name!;
    const uid = run.metadata.uid!;
    const check = verifyRun(run, this.d.signingKey, { now: this.now(), executed: (u) => this.d.state.hasExecuted(u) });
    if (!check.ok) {
      this.d.log.warn({ run: name, reason: check.reason }, `refusing run: ${check.message}`);
      // Reported, so a person sees that something tried (a replay of a run that already ran included).
      await this.d.api.patchRunStatus(name, { phase: 'Failed', message: `${check.reason}: ${check.message}`, finishedAt: iso(this.now()) }).catch(() => undefined);
      return;
    }
    let claimed: Run;
    try {
      claimed = await this.d.api.replaceRunStatus(run, { ...(run.status ?? {}), phase: 'Claimed', claimedBy: this.identity, observedGeneration: run.metadata.generation ?? 1 });
    } catch (err) {
      if (classify(err).kind === 'conflict') {
        this.d.log.info({ run: name }, 'run claimed elsewhere (or changed); not running it');
        return;
      }
      throw err;
    }
    // Durable before the first byte runs: a crash now means "not again", never "twice".
    this.d.state.markExecuted(uid);
    const abort = new AbortController();
    this.active.set(uid, abort);
    try {
      await this.runSteps(claimed, abort.signal);
    } finally {
      this.active.delete(uid);
      this.d.afterRun?.();
    }
  }

  private async runSteps(run: Run, signal: AbortSignal): Promise<void> {
    const name = run.metadata.name!;
    const declared = new Map((run.spec.steps ?? []).map((s) => [s.name, s as StepSpec]));
    const steps: RunStatusStep[] = [...declared.keys()].map((n) => ({ name: n, phase: 'Pending' }));
    const status: RunStatus = { ...(run.status ?? {}), phase: 'Running', claimedBy: this.identity, startedAt: iso(this.now()), steps };
    const log = new LogShipper((text) => this.d.api.appendLog(name, text), this.d.log, name);
    const report = async (): Promise<void> => {
      await this.d.api.patchRunStatus(name, { ...status, steps }).catch((err: unknown) => this.d.log.warn({ run: name, err: classify(err).message }, 'could not report run status'));
    };
    await report();
    const env = paramsEnv(run.spec.params);
    if ('error' in env) {
      status.phase = 'Failed';
      status.message = env.error;
      status.finishedAt = iso(this.now());
      await report();
      return;
    }
    const exec = async (stepName: RunStatusStep['name']): Promise<boolean> => {
      const spec = declared.get(stepName);
      const entry = steps.find((s) => s.name === stepName);
      if (!spec || !entry) return true;
      entry.phase = 'Running';
      entry.startedAt = iso(this.now());
      await report();
      log.write(`--- ${stepName} ---\n`);
      const limits = (run.spec as { resources?: { cpuQuota?: string; memoryMax?: string } }).resources;
      const out = await runStep(spec, { env: env.vars, onOutput: (t) => log.write(t), signal, hostRoot: this.d.config.hostRoot, ...(limits ? { limits } : {}) });
      await log.flush();
      entry.finishedAt = out.finishedAt;
      if (out.exitCode !== null) entry.exitCode = out.exitCode;
      const okStep = out.exitCode === 0 && !out.ended;
      entry.phase = okStep ? 'Succeeded' : 'Failed';
      if (out.message) entry.message = out.message;
      await report();
      return okStep;
    };
    let phase: RunStatus['phase'] = 'Succeeded';
    let message = 'precheck, apply and verify passed';
    for (const stepName of ORDER) {
      if (!declared.has(stepName)) continue;
      const okStep = await exec(stepName);
      if (signal.aborted) {
        phase = 'Cancelled';
        message = `cancelled during ${stepName}`;
        break;
      }
      if (okStep) continue;
      if (stepName === 'verify' && declared.has('rollback')) {
        const rolled = await exec('rollback');
        phase = rolled ? 'RolledBack' : 'Failed';
        message = rolled ? 'verify failed; the rollback ran and succeeded' : 'verify failed and the rollback failed too';
      } else {
        phase = 'Failed';
        message = `${stepName} failed${stepName === 'precheck' ? '; nothing was changed' : ''}`;
      }
      break;
    }
    for (const s of steps) if (s.phase === 'Pending') s.phase = 'Skipped';
    await log.close();
    status.phase = phase;
    status.message = message;
    status.finishedAt = iso(this.now());
    status.logBytes = log.bytes;
    await report();
    this.d.log.info({ run: name, phase }, 'run finished');
  }
}

/** Params become environment variables, each under its own name; a name that is not a valid one fails the run. */
export function paramsEnv(params: Record<string, unknown> | undefined): { vars: Record<string, string> } | { error: string } {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { error: `param "${k}" is not a valid environment variable name` };
    vars[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { vars };
}

/** Buffers step output and appends it to the Run's log at least every second. */
class LogShipper {
  private buf = '';
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  bytes = 0;
  constructor(
    private readonly send: (text: string) => Promise<void>,
    private readonly log: Logger,
    private readonly run: string,
  ) {}

  write(text: string): void {
    this.buf += text;
    this.bytes += Buffer.byteLength(text);
    this.timer ??= setTimeout(() => void this.flush(), 1000);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.buf;
    this.buf = '';
    if (text) {
      this.sending = this.sending.then(() => this.send(text)).catch((err: unknown) => this.log.warn({ run: this.run, err: (err as Error).message }, 'could not ship run output'));
    }
    return this.sending;
  }

  close(): Promise<void> {
    return this.flush();
  }
}
