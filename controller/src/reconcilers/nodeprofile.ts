// The NodeProfile reconciler: for each profile × matching node × state, evaluate the preset's check against
// the node's probe results; drift opens `drift.<preset>` keyed `<profile>/<state>`, compliance resolves it,
// unknown opens an INFO `probe.unknown` and counts as neither. Drift gets a Run when the remediation mode,
// the risk policy, the node (not cordoned) and the rollout (canary first, maxParallel, paused after a failure)
// allow it; otherwise the Run waits for a person. Status is patched whatever happens.
import { defaultParams } from '../catalog/params.js';
import type { Logger } from 'pino';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import { labelSelectorFromObject, matchesLabels } from '../api/selectors.js';
import type { LabelSelectorObject } from '../api/selectors.js';
import type { Informer } from '../reconcile/informer.js';
import type { Result } from '../reconcile/controller.js';
import { verdictFor } from './check.js';
import type { Verdict } from './check.js';
import { ensureFinding, findingName, resolveFinding } from './findings.js';
import type { FindingPhase, FindingSpec } from './findings.js';
import { approvalsNeeded, autoApproved, createRun, runLabels } from './runs.js';
import type { PresetSpec, Remediation } from './runs.js';
import { setCondition } from './conditions.js';
import { gateFor } from './gate.js';
import { recordEvent } from './events.js';
import type { MaintenanceWindow } from './windows.js';

export interface ProfileSpec {
  nodeSelector?: LabelSelectorObject;
  nodeNames?: string[];
  states: Array<{ name?: string; preset: string; with?: Record<string, unknown>; severity?: 'INFO' | 'WARN' | 'CRITICAL' }>;
  remediation?: Remediation;
  rollout?: { canary?: number; maxParallel?: number; maxFailures?: number };
  maintenanceWindows?: MaintenanceWindow[];
  suspend?: boolean;
}

export interface NodeProfileDeps {
  profiles: Informer;
  nodes: Informer;
  presets: Informer;
  runs: Informer;
  repos: { profiles: Repository; findings: Repository; runs: Repository; events: Repository };
  /** The findings cache, to skip store reads when nothing changes (optional: without it every check reads). */
  findings?: Informer;
  sign(run: Obj): Obj;
  now(): Date;
  log: Logger;
}

const FINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'RolledBack']);
/** status.nodes lists at most this many nodes: every status write carries the whole list (91 KiB at 1,000). */
export const STATUS_NODES_MAX = 100;
/** Annotation a person sets (e.g. `hyprbox rollout resume`) to resume a paused rollout. */
export const RESUME_ANNOTATION = 'hyprbox.io/rollout-resumed-at';

type NodeState = 'compliant' | 'drifted' | 'unknown' | 'remediating' | 'failed';
type NodeStateName = 'Compliant' | 'Drifted' | 'Unknown' | 'Remediating' | 'Failed';

export function matchesProfile(spec: ProfileSpec, node: Obj): boolean {
  if (spec.nodeNames?.length) return spec.nodeNames.includes(node.metadata.name!);
  if (!spec.nodeSelector) return false;
  return matchesLabels(labelSelectorFromObject(spec.nodeSelector), node.metadata.labels);
}

export class NodeProfileReconciler {
  readonly name = 'nodeprofile';
  constructor(private readonly d: NodeProfileDeps) {}

  async reconcile(key: string): Promise<Result | void> {
    const [ns, name] = key.split('/') as [string, string];
    const profile = this.d.profiles.get(key);
    const now = this.d.now();
    if (!profile || profile.metadata.deletionTimestamp) return this.forget(ns, name, now);
    const spec = profile.spec as ProfileSpec;
    const status = structuredClone((profile.status ?? {}) as Record<string, unknown>);
    const gen = profile.metadata.generation ?? 1;
    try {
      if (spec.suspend) {
        setCondition(status, 'Ready', 'False', 'Suspended', 'the profile is suspended: nothing is evaluated or run', gen, now);
        return;
      }
      const nodes = this.d.nodes.list(ns).filter((n) => matchesProfile(spec, n)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
      const runs = this.d.runs.list(ns).filter((r) => r.metadata.labels?.['hyprbox.io/profile'] === name);
      const paused = rolloutPaused(profile, runs);
      // Runs indexed once by (node, state): a reconcile is linear in nodes and runs, not their product.
      const runsByTarget = new Map<string, Obj[]>();
      for (const r of runs) {
        const k = `${r.metadata.labels?.['hyprbox.io/node']}\u0000${r.metadata.labels?.['hyprbox.io/state']}`;
        runsByTarget.set(k, [...(runsByTarget.get(k) ?? []), r]);
      }
      // The canary counts only runs whose fix was verified (their finding resolved by a fresh probe).
      const rb = rolloutBudget(spec, runs, (r) => this.verified(r));
      let budget = rb.budget;
      let canaryLeft = rb.canaryLeft;
      const canaryPending = rb.canaryPending;
      const perNode: Array<{ name: string; state: NodeStateName; message: string }> = [];
      const counts = { compliant: 0, drifted: 0, unknown: 0, remediating: 0, failed: 0 };
      let requeue: number | undefined;

      let visited = 0;
      for (const node of nodes) {
        // The SQLite store is synchronous: let the API server breathe during a large reconcile.
        if (++visited % 50 === 0) await new Promise((r) => setImmediate(r));
        const nodeName = node.metadata.name!;
        let worst: NodeState = 'compliant';
        let msg = 'every state is compliant';
        for (const state of spec.states) {
          const stateName = state.name ?? state.preset;
          const fkey = `${name}/${stateName}`;
          const preset = this.d.presets.get(state.preset);
          const verdict: Verdict = verdictFor(state.preset, preset, node);
          const mine = runsByTarget.get(`${nodeName}\u0000${runLabels(name, nodeName, stateName)['hyprbox.io/state']}`) ?? [];
          const lastRun = [...mine].sort((a, b) => attemptOf(a) - attemptOf(b)).at(-1);
          const driftType = `drift.${state.preset}`;
          if (verdict.state === 'unknown') {
            await this.ensure(ns, { nodeName, type: 'probe.unknown', key: fkey, severity: 'INFO', source: 'drift', message: verdict.reason, profile: name }, 'Open', now);
            worst = rank(worst, 'unknown');
            msg = verdict.reason;
            continue;
          }
          await this.resolve(ns, nodeName, 'probe.unknown', fkey, now, 'the probes answer again');
          if (verdict.state === 'compliant') {
            await this.resolve(ns, nodeName, driftType, fkey, now, lastRun && phaseOf(lastRun) === 'Succeeded' ? `resolved by run ${lastRun.metadata.name}` : 'compliant');
            continue;
          }
          // Drifted.
          const message = `drifted from ${state.preset}: ${verdict.mismatches.map((m) => `${m.field} is ${JSON.stringify(m.actual)}, want ${JSON.stringify(m.expected)}`).join('; ')}`;
          const fspec = { nodeName, type: driftType, key: fkey, severity: state.severity ?? 'WARN', source: 'drift' as const, message, profile: name, recommendation: { preset: state.preset }, details: { mismatches: verdict.mismatches } };
          const runPhase = lastRun ? phaseOf(lastRun) : undefined;
          if (lastRun && runPhase && !FINAL.has(runPhase)) {
            await this.ensure(ns, fspec, runPhase === 'AwaitingApproval' ? 'AwaitingApproval' : 'Remediating', now, { runRef: lastRun.metadata.name! });
            worst = rank(worst, 'remediating');
            msg = `run ${lastRun.metadata.name} is ${runPhase}`;
            continue;
          }
          if (lastRun && runPhase && runPhase !== 'Succeeded' && paused) {
            // Paused after a failure: the finding says so, and nothing runs until a person resumes.
            await this.ensure(ns, fspec, 'Failed', now, { runRef: lastRun.metadata.name! });
            worst = rank(worst, 'failed');
            msg = `run ${lastRun.metadata.name} ${runPhase}: ${(lastRun.status as { message?: string } | undefined)?.message ?? ''}`;
            continue;
          }
          // A failed run within the profile's maxFailures budget is retried (bounded: the budget runs out).
          const checked = [...Object.keys(((preset?.spec as PresetSpec | undefined)?.check?.probes) ?? {}), ...((preset?.spec as PresetSpec | undefined)?.check?.script ? [`check.${state.preset}`] : [])];
          if (lastRun && runPhase === 'Succeeded' && !freshAfter(node, lastRun, checked)) {
            // Verify passed; wait for a probe taken after the run before judging.
            await this.ensure(ns, fspec, 'Remediating', now, { runRef: lastRun.metadata.name! });
            worst = rank(worst, 'remediating');
            msg = `waiting for a fresh probe after run ${lastRun.metadata.name}`;
            requeue = 2000;
            continue;
          }
          worst = rank(worst, 'drifted');
          msg = message;
          // Succeeded, then verified compliant, then drifted again later: a new drift, not a failed fix.
          const didNotFix = lastRun !== undefined && runPhase === 'Succeeded' && !this.verified(lastRun);
          const g = gateFor(spec, node, {
            rolloutPaused: paused,
            ...(didNotFix ? { lastRunDidNotFix: lastRun.metadata.name! } : {}),
            presetExists: preset !== undefined,
            budget,
            waitingForCanary: canaryPending && canaryLeft <= 0,
            now,
          });
          const blocked = g.blocked;
          const closed = g.closed;
          if (didNotFix) {
            // Verify passed but a probe taken afterwards still shows drift: the run did not fix it.
            await this.d.repos.runs.update({ ...lastRun, status: { ...(lastRun.status as object), phase: 'Failed', message: 'verify passed, but a fresh probe afterwards still shows the state drifted' } }, Number(lastRun.metadata.resourceVersion)).catch(() => undefined);
          }
          if (blocked) {
            await this.ensure(ns, { ...fspec, message: `${message} (${blocked})` }, didNotFix ? 'Failed' : 'Open', now);
            if (budget <= 0 || (canaryPending && canaryLeft <= 0)) requeue = 5000;
            if (closed?.nextOpen) requeue = Math.min(requeue ?? Infinity, Math.max(1000, Math.min(closed.nextOpen.getTime() - now.getTime(), 3_600_000)));
            continue;
          }
          const presetSpec = preset!.spec as PresetSpec;
          const remediation = spec.remediation ?? {};
          const auto = autoApproved(presetSpec.risk, remediation, node);
          const run = await createRun({
            runs: this.d.repos.runs, namespace: ns, preset: preset!, profile: name, state: stateName, nodeName,
            params: defaultParams(preset!, state.with ?? {}), finding: findingName(nodeName, driftType, fkey), attempt: (lastRun ? attemptOf(lastRun) : 0) + 1, autoApprove: auto, now, sign: this.d.sign,
          });
          if (!run) {
            // Already there (this cache was behind): look again once it has caught up.
            requeue = 500;
            continue;
          }
          budget -= 1;
          if (canaryPending) canaryLeft -= 1;
          await this.ensure(ns, fspec, auto ? 'Remediating' : 'AwaitingApproval', now, { runRef: run.metadata.name! });
          this.d.log.info({ profile: key, node: nodeName, run: run.metadata.name, auto, approvals: approvalsNeeded(presetSpec.risk, remediation) }, 'run created');
          await recordEvent(this.d.repos.events, { involved: profile, type: 'Normal', reason: 'RunCreated', message: `run ${run.metadata.name} for node ${nodeName} (${state.preset}, ${presetSpec.risk ?? 'CONFIRM'}): ${auto ? 'starts on its own' : `waits for ${approvalsNeeded(presetSpec.risk, remediation)} approval(s)`}` }, now);
        }
        counts[worst] += 1;
        // The CRD's enum is capitalised (Compliant, Drifted, ...); the counters keep the lower-case keys.
        perNode.push({ name: nodeName, state: `${worst[0]!.toUpperCase()}${worst.slice(1)}` as NodeStateName, message: msg.slice(0, 1024) });
      }
      Object.assign(status, { matched: nodes.length, ...counts, ...listedNodes(perNode), health: counts.failed || counts.drifted ? 'critical' : counts.unknown || counts.remediating ? 'warning' : 'healthy' });
      const wasPaused = ((profile.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((x) => x.type === 'Stalled' && x.status === 'True');
      if (paused) setCondition(status, 'Stalled', 'True', 'RolloutPaused', 'a run failed: the rollout is paused until a person resumes it', gen, now);
      else setCondition(status, 'Stalled', 'False', 'Progressing', 'the rollout is not paused', gen, now);
      if (paused !== wasPaused) {
        await recordEvent(this.d.repos.events, paused
          ? { involved: profile, type: 'Warning', reason: 'RolloutPaused', message: 'a run failed: no more runs start until a person resumes the rollout' }
          : { involved: profile, type: 'Normal', reason: 'RolloutResumed', message: 'the rollout runs again' }, now);
      }
      setCondition(status, 'Degraded', counts.failed || counts.drifted ? 'True' : 'False', counts.failed ? 'Failed' : counts.drifted ? 'Drifted' : 'Compliant', `${counts.compliant}/${nodes.length} nodes compliant`, gen, now);
      setCondition(status, 'Ready', counts.compliant === nodes.length ? 'True' : 'False', counts.compliant === nodes.length ? 'Compliant' : 'Reconciling', `${counts.compliant} compliant, ${counts.drifted} drifted, ${counts.unknown} unknown, ${counts.remediating} remediating, ${counts.failed} failed`, gen, now);
      return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
    } finally {
      status.observedGeneration = gen;
      await this.patchStatus(key, status);
    }
  }

  /** A run whose fix was confirmed: its finding was resolved after the run finished. */
  private verified(run: Obj): boolean {
    if (phaseOf(run) !== 'Succeeded') return false;
    const ref = (run.spec as { findingRef?: string }).findingRef;
    const f = ref ? this.d.findings?.get(`${run.metadata.namespace}/${ref}`) : undefined;
    const resolvedAt = Date.parse((f?.status as { resolvedAt?: string } | undefined)?.resolvedAt ?? '');
    const history = ((f?.status as { history?: Array<{ phase: string; time: string }> } | undefined)?.history ?? []);
    const finished = Date.parse((run.status as { finishedAt?: string } | undefined)?.finishedAt ?? '');
    // Resolved at some point after the run (second precision on both sides: same second counts).
    const resolvedAfter = (t: number): boolean => Number.isFinite(t) && Number.isFinite(finished) && t >= Math.floor(finished / 1000) * 1000;
    return resolvedAfter(resolvedAt) || history.some((h) => h.phase === 'Resolved' && resolvedAfter(Date.parse(h.time)));
  }

  /** ensureFinding, skipped when the cached finding already says exactly this (no store read per node). */
  private async ensure(ns: string, spec: FindingSpec, phase: FindingPhase, now: Date, extra: { runRef?: string } = {}): Promise<void> {
    const cached = this.d.findings?.get(`${ns}/${findingName(spec.nodeName, spec.type, spec.key)}`);
    if (cached) {
      const st = (cached.status ?? {}) as { phase?: string; runRef?: string; snoozedUntil?: string };
      const snoozed = st.phase === 'Snoozed' && Date.parse(st.snoozedUntil ?? '') > now.getTime();
      const same = JSON.stringify(pick(cached.spec as Record<string, unknown>)) === JSON.stringify(pick(spec as unknown as Record<string, unknown>)) && (snoozed || st.phase === phase) && (extra.runRef === undefined || st.runRef === extra.runRef);
      if (same) return;
    }
    await ensureFinding(this.d.repos.findings, ns, spec, phase, now, extra);
  }

  /** resolveFinding, skipped when the cache shows nothing to resolve. */
  private async resolve(ns: string, nodeName: string, type: string, key: string, now: Date, message: string): Promise<void> {
    const cached = this.d.findings?.get(`${ns}/${findingName(nodeName, type, key)}`);
    if (this.d.findings && (!cached || (cached.status as { phase?: string } | undefined)?.phase === 'Resolved')) return;
    await resolveFinding(this.d.repos.findings, ns, nodeName, type, key, now, message);
  }

  private async patchStatus(key: string, status: Record<string, unknown>): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const current = await this.d.repos.profiles.get(ns, name);
    if (!current || JSON.stringify(current.status) === JSON.stringify(status)) return;
    await this.d.repos.profiles.update({ ...current, status }, Number(current.metadata.resourceVersion));
  }

  /** A deleted profile leaves no open drift findings behind. */
  private async forget(ns: string, name: string, now: Date): Promise<void> {
    const { items } = await this.d.repos.findings.list({ namespace: ns, filter: (f) => (f.spec as { profile?: string }).profile === name && (f.status as { phase?: string } | undefined)?.phase !== 'Resolved' });
    for (const f of items) {
      const s = f.spec as { nodeName: string; type: string; key: string };
      await this.resolve(ns, s.nodeName, s.type, s.key, now, `profile ${name} was deleted`);
    }
  }
}

const FINDING_FIELDS = ['nodeName', 'type', 'key', 'severity', 'source', 'message', 'profile', 'recommendation', 'details'];
const pick = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(FINDING_FIELDS.map((k) => [k, o[k]]));

/** The attempt number at the end of a run's name (runs are named <profile>-<node>-<state hash>-<attempt>). */
export const attemptOf = (r: Obj): number => Number(/-(\d+)$/.exec(r.metadata.name ?? '')?.[1] ?? 0);

/**
 * Paused when more runs of this profile failed after the last resume than rollout.maxFailures allows. Runs finish with millisecond times; a
 * resume written with whole seconds (`kubectl annotate ...=2026-01-02T03:04:05Z`) covers its whole second, so
 * a failure earlier in the second it was typed in does not keep the rollout paused.
 */
export function rolloutPaused(profile: Obj, runs: Obj[]): boolean {
  const mark = profile.metadata.annotations?.[RESUME_ANNOTATION] ?? '';
  const resumed = (Date.parse(mark) || 0) + (/:\d{2}(?:Z|[+-]\d{2}:\d{2})$/.test(mark) ? 999 : 0);
  const maxFailures = (profile.spec as ProfileSpec).rollout?.maxFailures ?? 0;
  const failures = runs.filter((r) => ['Failed', 'RolledBack'].includes(phaseOf(r)) && Date.parse((r.status as { finishedAt?: string } | undefined)?.finishedAt ?? r.metadata.creationTimestamp ?? '') > resumed);
  return failures.length > maxFailures;
}

/** Runs that may start now: maxParallel minus the active ones, and the canary's remaining slots. */
export function rolloutBudget(spec: ProfileSpec, runs: Obj[], verified: (run: Obj) => boolean = (r) => phaseOf(r) === 'Succeeded'): { budget: number; canaryLeft: number; canaryPending: boolean } {
  // Succeeded-but-unverified runs still hold their slot: the canary must succeed *and* verify.
  const succeeded = runs.filter(verified).length;
  const active = runs.filter((r) => !FINAL.has(phaseOf(r)) || (phaseOf(r) === 'Succeeded' && !verified(r))).length;
  const canary = spec.rollout?.canary ?? 1;
  return {
    budget: Math.max(0, (spec.rollout?.maxParallel ?? 1) - active),
    canaryLeft: Math.max(0, canary - succeeded - active),
    canaryPending: succeeded < canary,
  };
}

export const phaseOf = (r: Obj): string => (r.status as { phase?: string } | undefined)?.phase ?? 'Pending';

/** status.nodes: the nodes that need a look (not Compliant) first, both groups by name, cut at STATUS_NODES_MAX;
 * nodesOmitted counts the rest (the counts above cover every node). */
export function listedNodes<T extends { state: string }>(perNode: T[]): { nodes: T[]; nodesOmitted?: number } {
  const ordered = [...perNode.filter((n) => n.state !== 'Compliant'), ...perNode.filter((n) => n.state === 'Compliant')];
  const nodes = ordered.slice(0, STATUS_NODES_MAX);
  return ordered.length > nodes.length ? { nodes, nodesOmitted: ordered.length - nodes.length } : { nodes };
}

const ORDER: NodeState[] = ['compliant', 'unknown', 'remediating', 'drifted', 'failed'];
const rank = (a: NodeState, b: NodeState): NodeState => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a);

/** Whether every probe the check reads was observed after the run finished (agents report milliseconds). */
function freshAfter(node: Obj, run: Obj, fields: string[]): boolean {
  const finished = Date.parse((run.status as { finishedAt?: string } | undefined)?.finishedAt ?? '');
  if (!Number.isFinite(finished) || fields.length === 0) return false;
  const probes = (node.status as { probes?: Record<string, { observedAt?: string }> } | undefined)?.probes ?? {};
  return fields.every((f) => Date.parse(probes[f]?.observedAt ?? '') > finished);
}

