// One Run as it executes on this host: its steps, their status, its log, and how it ends. The step that runs is
// recorded in the state directory before it gets its script, and the final status is saved there before it is
// reported, so an agent restart can stop what was left running and report what really happened.
import type { Run, RunStatus, RunStatusStep } from '@hyprbox/crds';
import type { Logger } from 'pino';
import type { ControllerApi } from '../controller-api.js';
import { LogShipper } from './log-shipper.js';
import type { RunReporter } from './reporter.js';
import type { AgentState } from './state.js';
import { bootId, processStartTime, runStep } from './step.js';
import type { StepOutcome, StepSpec, StopReason } from './step.js';

export interface ExecutionDeps {
  api: Pick<ControllerApi, 'appendLog'>;
  state: AgentState;
  reporter: RunReporter;
  log: Logger;
  hostRoot: string;
  identity: string;
  now: () => Date;
}

export type StepName = RunStatusStep['name'];
export type FinalPhase = 'Succeeded' | 'Failed' | 'Cancelled' | 'RolledBack';

const iso = (d: Date): string => d.toISOString();

export class Execution {
  readonly name: string;
  readonly uid: string;
  readonly status: RunStatus;
  readonly steps: RunStatusStep[];
  readonly shipper: LogShipper;
  private readonly declared: Map<string, StepSpec>;

  /** `resumed`: the status stored before an agent restart, continued instead of starting afresh. */
  constructor(
    readonly run: Run,
    private readonly d: ExecutionDeps,
    resumed?: RunStatus,
  ) {
    this.name = run.metadata.name!;
    this.uid = run.metadata.uid!;
    this.declared = new Map((run.spec.steps ?? []).map((s) => [s.name, s as StepSpec]));
    const known = new Map((resumed?.steps ?? []).map((s) => [s.name, s]));
    this.steps = [...this.declared.keys()].map((n) => ({ ...(known.get(n as StepName) ?? {}), name: n as StepName, phase: known.get(n as StepName)?.phase ?? 'Pending' }));
    this.status = { ...(resumed ?? run.status ?? {}), phase: 'Running', claimedBy: d.identity, startedAt: resumed?.startedAt ?? iso(d.now()), steps: this.steps };
    this.shipper = new LogShipper((text) => d.api.appendLog(this.name, text), d.log, this.name);
  }

  has(step: StepName): boolean {
    return this.declared.has(step);
  }

  step(name: StepName): RunStatusStep | undefined {
    return this.steps.find((s) => s.name === name);
  }

  report(): void {
    this.d.reporter.report(this.name, { ...this.status, steps: this.steps });
  }

  /** Runs one declared step (the Run's params as its environment) and reports it. */
  async exec(stepName: StepName, env: Record<string, string>, signal: AbortSignal): Promise<StepOutcome> {
    const spec = this.declared.get(stepName)!;
    const entry = this.step(stepName)!;
    entry.phase = 'Running';
    entry.startedAt = iso(this.d.now());
    delete entry.finishedAt;
    delete entry.exitCode;
    delete entry.message;
    this.report();
    this.shipper.section(`--- ${stepName} ---\n`);
    const record = { runUid: this.uid, runName: this.name, step: stepName };
    const limits = (this.run.spec as { resources?: { cpuQuota?: string; memoryMax?: string } }).resources;
    let out: StepOutcome;
    try {
      this.d.state.recordStep(record);
      out = await runStep(spec, {
        env,
        onOutput: (t) => this.shipper.write(t),
        signal,
        hostRoot: this.d.hostRoot,
        ...(limits ? { limits } : {}),
        onSpawn: (pid) => this.d.state.recordStep({ ...record, pgid: pid, startTime: processStartTime(pid), bootId: bootId() }),
      });
    } catch (err) {
      // Nothing of the step ran: it gets its script only once it is recorded.
      const now = iso(this.d.now());
      out = { exitCode: null, ended: 'spawn-error', message: `not started: could not record the step in the state directory (${(err as Error).message})`, startedAt: now, finishedAt: now };
    }
    const ok = out.exitCode === 0 && !out.ended;
    try {
      this.d.state.recordStep({ ...record, ended: true, ok });
    } catch (err) {
      this.d.log.warn({ run: this.name, err: (err as Error).message }, 'could not record the end of a step');
    }
    entry.finishedAt = out.finishedAt;
    if (out.exitCode !== null) entry.exitCode = out.exitCode;
    entry.phase = ok ? 'Succeeded' : 'Failed';
    if (out.message) entry.message = out.message;
    this.report();
    return out;
  }

  /**
   * Ends the Run: the result is saved in the state directory first (a restart reports it instead of guessing),
   * then reported after the last output, and forgotten once the controller has it.
   */
  finish(phase: FinalPhase, message: string): void {
    for (const s of this.steps) if (s.phase === 'Pending') s.phase = 'Skipped';
    Object.assign(this.status, { phase, message, finishedAt: iso(this.d.now()), logBytes: this.shipper.bytes + (this.status.logBytes ?? 0) });
    const status = structuredClone({ ...this.status, steps: this.steps });
    try {
      this.d.state.saveResult({ runUid: this.uid, runName: this.name, status });
      this.d.state.clearStep();
    } catch (err) {
      this.d.log.error({ run: this.name, err: (err as Error).message }, 'could not save the result of a run in the state directory; reporting it anyway');
    }
    this.d.reporter.report(this.name, status, { after: this.shipper.close(), onDone: () => this.d.state.removeResult(this.uid) });
    this.d.log.info({ run: this.name, phase, message }, 'run finished');
  }
}

/** Why a step did not succeed, for the Run's message: "apply failed (exit 5)", "cancelled during apply"... */
export function whyStepEnded(step: StepName, out: StepOutcome, reason: unknown): string {
  if (out.ended === 'cancelled') {
    const r = reason as Partial<StopReason> | undefined;
    return r?.message === CANCEL.message ? `cancelled during ${step}` : `the agent was stopped during ${step}`;
  }
  if (out.ended === 'timeout') return `${step} ${out.message ?? 'timed out'}`;
  if (out.ended === 'spawn-error') return `${step} could not start (${out.message ?? 'unknown error'})`;
  return `${step} failed (exit ${out.exitCode ?? '?'})`;
}

/** The reason a cancel (spec.cancel) aborts a step with. */
export const CANCEL: StopReason = { message: 'cancelled', graceSeconds: 10 };
