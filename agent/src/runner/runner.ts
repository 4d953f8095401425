// The job runner: watches this node's Runs, refuses any that is unsigned, tampered, expired or already run,
// and executes them one at a time, in the order they were seen (a local queue: two fixes never change the host
// at once; a queued Run stays Pending, so it can still be cancelled). Each is claimed exactly once when its turn
// comes (a resourceVersion precondition: of two agents, one wins), then runs precheck → apply → verify, with the
// rollback when apply or verify fails, times out or is cancelled. Output streams to the Run's log at least every
// second; every status is retried until the controller has it. After a restart, a step left running is stopped
// and the Run ends honestly (rolled back where it may have changed the host).
import type { Run } from '@hyprbox/crds';
import { verifyRun } from '@hyprbox/crds/signing';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { ControllerApi } from '../controller-api.js';
import { classify } from '../kube.js';
import type { ListWatch } from '../list-watch.js';
import { CANCEL, Execution, whyStepEnded } from './execution.js';
import type { FinalPhase, StepName } from './execution.js';
import { RunReporter } from './reporter.js';
import type { AgentState, StepRecord } from './state.js';
import { bootId, processStartTime, signalGroup, stopGroup } from './step.js';
import type { StopReason } from './step.js';

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
/** Steps that may have changed the host: stopped or failed there, the rollback runs. */
const CHANGING = new Set<string>(['apply', 'verify']);
const FINAL = new Set<string>(['Succeeded', 'Failed', 'Cancelled', 'RolledBack']);
/** On SIGTERM (the unit's TimeoutStopSec=60): the step gets 5 s, the rollback until 30 s after the stop began. */
const SHUTDOWN: StopReason = { message: 'stopped: the agent is stopping', graceSeconds: 5 };
const SHUTDOWN_ROLLBACK_MS = 30_000;
const SHUTDOWN_REPORT_MS = 5_000;
/** After a restart, a step left running gets this long after SIGTERM before SIGKILL. */
const RECOVERY_GRACE_MS = 10_000;

export class Runner {
  /** Pending Runs waiting for their turn, by uid, in the order they were seen (the latest version of each). */
  private readonly queue = new Map<string, Run>();
  private current: { uid: string; cancel: AbortController } | undefined;
  private executing: Promise<void> | undefined;
  /** Aborted on SIGTERM: stops the current step. */
  private readonly shutdown = new AbortController();
  /** Aborted when a stopping agent can wait no longer: stops a rollback (which a cancel never stops). */
  private readonly rollbackDeadline = new AbortController();
  private readonly reporter: RunReporter;
  private watch: ListWatch<Run> | undefined;
  private stopped = false;
  private recovered = false;
  private readonly identity: string;
  private readonly now: () => Date;

  constructor(private readonly d: RunnerDeps) {
    this.identity = `hyprnode@${d.config.nodeName}`;
    this.now = d.now ?? (() => new Date());
    this.reporter = new RunReporter((name, status) => d.api.patchRunStatus(name, status), d.log);
  }

  async start(): Promise<void> {
    if (!this.recovered) {
      await this.recover();
      this.recovered = true;
    }
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

  /**
   * Stops (SIGTERM): nothing new starts; the current step is stopped, the rollback runs if there is time,
   * and the Run is reported — or saved, for the next start to report.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.clear();
    await this.watch?.stop();
    if (this.executing) {
      this.shutdown.abort(SHUTDOWN);
      const t = setTimeout(() => this.rollbackDeadline.abort({ message: 'stopped: the agent had to exit before the rollback finished', graceSeconds: 2 }), SHUTDOWN_ROLLBACK_MS);
      await this.executing;
      clearTimeout(t);
    }
    await this.reporter.settle(SHUTDOWN_REPORT_MS);
    this.reporter.stop();
  }

  private consider(run: Run): void {
    const uid = run.metadata.uid!;
    if (run.spec.nodeName !== this.d.config.nodeName) return;
    if (this.current?.uid === uid) {
      if (run.spec.cancel) this.current.cancel.abort(CANCEL);
      return;
    }
    const pending = (run.status?.phase ?? 'Pending') === 'Pending';
    if (this.queue.has(uid)) {
      if (!pending || run.spec.cancel) this.queue.delete(uid);
      if (pending && run.spec.cancel) void this.cancelQueued(run);
      // Keeps its place in the queue, with the version a claim must name.
      else if (pending) this.queue.set(uid, run);
      return;
    }
    if (!pending || run.spec.cancel || this.stopped) return;
    this.queue.set(uid, run);
    this.pump();
  }

  /** Starts the next queued Run when none is executing. */
  private pump(): void {
    if (this.executing || this.stopped) return;
    const run = this.queue.values().next().value;
    if (!run) return;
    const uid = run.metadata.uid!;
    this.queue.delete(uid);
    const cancel = new AbortController();
    this.current = { uid, cancel };
    this.executing = this.execute(run, cancel.signal)
      .catch((err: unknown) => this.retryLater(run, err))
      .finally(() => {
        this.current = undefined;
        this.executing = undefined;
        this.pump();
      });
  }

  private retryLater(run: Run, err: unknown): void {
    this.d.log.warn({ run: run.metadata.name, err: classify(err).message }, 'could not start the run; will look again');
    setTimeout(() => {
      if (this.stopped) return;
      this.d.api.getRun(run.metadata.name!).then((fresh) => this.consider(fresh), () => undefined);
    }, 2000).unref();
  }

  /** A queued Run cancelled before its turn: never started, and said so (unless it changed meanwhile). */
  private async cancelQueued(run: Run): Promise<void> {
    try {
      await this.d.api.replaceRunStatus(run, { ...(run.status ?? {}), phase: 'Cancelled', message: 'cancelled before it started; nothing was run' });
    } catch (err) {
      this.d.log.info({ run: run.metadata.name, err: classify(err).message }, 'could not mark a cancelled queued run Cancelled');
    }
  }

  /** Verifies, claims and executes one Run. */
  private async execute(run: Run, cancel: AbortSignal): Promise<void> {
    const name = run.metadata.name!;
    const uid = run.metadata.uid!;
    const check = verifyRun(run, this.d.signingKey, { now: this.now(), executed: (u) => this.d.state.hasExecuted(u) });
    if (!check.ok) {
      this.d.log.warn({ run: name, reason: check.reason }, `refusing run: ${check.message}`);
      // Reported, so a person sees that something tried (a replay of a run that already ran included).
      this.reporter.report(name, { phase: 'Failed', message: `${check.reason}: ${check.message}`, finishedAt: this.now().toISOString() });
      return;
    }
    if (this.stopped || cancel.aborted) return;
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
    try {
      await this.runSteps(new Execution(claimed, this.deps()), cancel);
    } finally {
      this.d.afterRun?.();
    }
  }

  private deps() {
    return { api: this.d.api, state: this.d.state, reporter: this.reporter, log: this.d.log, hostRoot: this.d.config.hostRoot, identity: this.identity, now: this.now };
  }

  private async runSteps(x: Execution, cancel: AbortSignal): Promise<void> {
    x.report();
    const env = paramsEnv(x.run.spec.params);
    if ('error' in env) return x.finish('Failed', env.error);
    const signal = AbortSignal.any([cancel, this.shutdown.signal]);
    const passed: string[] = [];
    for (const stepName of ORDER) {
      if (!x.has(stepName)) continue;
      const out = await x.exec(stepName, env.vars, signal);
      if (out.exitCode === 0 && !out.ended) {
        passed.push(stepName);
        continue;
      }
      const why = whyStepEnded(stepName, out, signal.reason);
      const cancelled = out.ended === 'cancelled' && cancel.aborted;
      if (stepName === 'precheck') return x.finish(cancelled ? 'Cancelled' : 'Failed', `${why}; nothing was changed`);
      return this.rollBack(x, env.vars, why, stepName, cancelled ? 'Cancelled' : 'Failed');
    }
    x.finish('Succeeded', passed.length ? `${joinSteps(passed)} passed` : 'no step is declared; nothing was run');
  }

  /** After `step` did not succeed: the declared rollback runs (with its own timeout, not stopped by a cancel). */
  private async rollBack(x: Execution, env: Record<string, string>, why: string, step: StepName, without: FinalPhase): Promise<void> {
    if (!x.has('rollback')) {
      return x.finish(without, `${why}; no rollback is declared${step === 'apply' ? ': the change may be partly applied' : ''}`);
    }
    const out = await x.exec('rollback', env, this.rollbackDeadline.signal);
    if (out.exitCode === 0 && !out.ended) return x.finish('RolledBack', `${why}; the rollback ran and succeeded`);
    x.finish('Failed', `${why}, and the rollback failed too (${out.message ?? `exit ${out.exitCode ?? '?'}`}): the change may be partly applied`);
  }

  /**
   * At start: results saved before a restart are reported; a step the last agent left running is stopped; a
   * Run this agent had claimed and not finished ends honestly, rolled back where it may have changed the host.
   * Never run again (its uid is in executed-runs).
   */
  private async recover(): Promise<void> {
    const record = this.d.state.stepRecord();
    const stopped = record?.stopped ? 'stopped' : record && !record.ended ? await this.stopRecorded(record) : 'no-step';
    if (record && stopped === 'stopped' && !record.stopped) this.d.state.recordStep({ ...record, stopped: true });
    const { items } = await this.d.api.listRuns();
    const byUid = new Map(items.map((r) => [r.metadata.uid!, r]));
    const saved = new Set<string>();
    for (const result of this.d.state.results()) {
      saved.add(result.runUid);
      const run = byUid.get(result.runUid);
      if (!run || FINAL.has(run.status?.phase ?? '')) {
        this.d.state.removeResult(result.runUid);
        continue;
      }
      this.d.log.info({ run: result.runName, phase: result.status.phase }, 'reporting the result of a run that finished before the agent restarted');
      this.reporter.report(result.runName, result.status, { onDone: () => this.d.state.removeResult(result.runUid) });
    }
    for (const run of items) {
      const st = run.status;
      if (saved.has(run.metadata.uid!) || st?.claimedBy !== this.identity || (st.phase !== 'Claimed' && st.phase !== 'Running')) continue;
      const mine = record?.runUid === run.metadata.uid ? record : undefined;
      await this.resume(run, mine, mine && !mine.ended ? stopped : 'no-step');
      this.d.afterRun?.();
    }
    this.d.state.clearStep();
  }

  /** Stops the recorded step's process group if it still runs (the same process: pid, start time and boot). */
  private async stopRecorded(r: StepRecord): Promise<'stopped' | 'gone' | 'not-started'> {
    if (r.pgid === undefined) return 'not-started';
    if (r.bootId !== bootId()) return 'gone';
    const start = processStartTime(r.pgid);
    // The leader may be gone while others of its group remain: its pid is not reused while the group exists.
    const ours = start === r.startTime || (start === undefined && signalGroup(r.pgid, 0));
    if (!ours) return 'gone';
    this.d.log.warn({ run: r.runName, step: r.step, pgid: r.pgid }, 'a step left running by the previous agent: stopping it');
    await stopGroup(r.pgid, RECOVERY_GRACE_MS);
    return 'stopped';
  }

  /** Ends a Run the previous agent left Claimed or Running. */
  private async resume(run: Run, record: StepRecord | undefined, stopped: 'stopped' | 'gone' | 'not-started' | 'no-step'): Promise<void> {
    const x = new Execution(run, this.deps(), run.status);
    if (!record || stopped === 'not-started') {
      return x.finish('Failed', 'AgentRestarted: the agent restarted before a step of this run started; nothing of it ran, and it was not run again');
    }
    const step = record.step as StepName;
    const entry = x.step(step);
    if (entry && !record.ended) {
      Object.assign(entry, { phase: 'Failed', finishedAt: this.now().toISOString(), message: stopped === 'stopped' ? 'stopped: the agent restarted during this step' : 'interrupted by an agent restart: the step had ended by then, its outcome is unknown' });
    }
    const how = record.ended ? `after ${step} ${record.ok ? 'succeeded' : 'failed'}` : `during ${step}${stopped === 'stopped' ? '; the step was stopped' : ''}`;
    const why = `AgentRestarted: the agent restarted ${how}`;
    x.shipper.write(`[${why}]\n`);
    if (step === 'precheck') return x.finish('Failed', `${why}; nothing was changed, and the run was not run again`);
    if (step === 'verify' && record.ended && record.ok) return x.finish('Succeeded', `${why} (${joinSteps(ORDER.filter((s) => x.has(s)))} passed)`);
    if (step === 'rollback') return x.finish('Failed', `${why}: the change may be partly rolled back; it was not run again`);
    if (!CHANGING.has(step) || !x.has('rollback')) return x.finish('Failed', `${why}; no rollback is declared: the change may be partly applied`);
    // The rollback runs only from a Run whose signature still holds (expiry as of when it started).
    const check = verifyRun(run, this.d.signingKey, { now: new Date(run.status?.startedAt ?? this.now().toISOString()) });
    const env = paramsEnv(run.spec.params);
    if (!check.ok || 'error' in env) return x.finish('Failed', `${why}; the rollback was not run: ${check.ok ? (env as { error: string }).error : check.message}`);
    x.report();
    await this.rollBack(x, env.vars, why, step, 'Failed');
  }
}

/** "apply", "apply and verify", "precheck, apply and verify". */
function joinSteps(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
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
