// Rendering a Run at queue time: the preset's scripts copied verbatim (the Run keeps exactly what will run),
// params beside them as data (they become environment variables on the host, never script text), signed.
import { createHash } from 'node:crypto';
import type { Obj } from '../api/admission.js';
import { admitCreate } from '../api/admission.js';
import type { Repository } from '../api/repository.js';

export type Risk = 'SAFE' | 'CONFIRM' | 'DANGEROUS';
const RANK: Record<Risk, number> = { SAFE: 0, CONFIRM: 1, DANGEROUS: 2 };
const STEPS = ['precheck', 'apply', 'verify', 'rollback'] as const;

export interface PresetSpec {
  risk?: Risk;
  check?: { probes?: Record<string, unknown>; script?: string };
  precheck?: { script: string; timeoutSeconds?: number };
  apply: { script: string; timeoutSeconds?: number };
  verify?: { script: string; timeoutSeconds?: number };
  rollback?: { script: string; timeoutSeconds?: number };
  resolves?: string[];
  resources?: { cpuQuota?: string; memoryMax?: string };
}

export interface Remediation {
  mode?: 'observe' | 'approve' | 'auto';
  autoApproveUpTo?: 'SAFE' | 'CONFIRM';
  dangerousApprovals?: number;
}

/**
 * Whether a run of this risk may start without a person: never for DANGEROUS (fail-safe default CONFIRM),
 * and never on a node whose spec.requireApproval says every run there waits for a person (`hyprbox up`'s
 * own machine).
 */
export function autoApproved(risk: Risk | undefined, r: Remediation, node?: Obj): boolean {
  const rk = risk ?? 'CONFIRM';
  if ((r.mode ?? 'auto') !== 'auto' || rk === 'DANGEROUS') return false;
  if ((node?.spec as { requireApproval?: boolean } | undefined)?.requireApproval) return false;
  return RANK[rk] <= RANK[r.autoApproveUpTo ?? 'SAFE'];
}

/** Approvals a run needs before it may start. */
export function approvalsNeeded(risk: Risk | undefined, r: Remediation): number {
  return (risk ?? 'CONFIRM') === 'DANGEROUS' ? Math.max(1, r.dangerousApprovals ?? 1) : 1;
}

export const presetDigest = (spec: unknown): string => `sha256:${createHash('sha256').update(JSON.stringify(spec)).digest('hex')}`;

export interface RenderInput {
  runs: Repository;
  namespace: string;
  preset: Obj;
  profile: string;
  state: string;
  nodeName: string;
  params: Record<string, unknown>;
  finding: string;
  /** 1 for the first run of this (profile, node, state), 2 for the next...: part of the name, so a reconcile
   * working from a stale cache (or a restarted controller) cannot create the same run twice. */
  attempt: number;
  autoApprove: boolean;
  now: Date;
  /** Signs the run (the controller's key). */
  sign(run: Obj): Obj;
}

export const runLabels = (profile: string, nodeName: string, state: string): Record<string, string> => ({
  'hyprbox.io/profile': profile,
  'hyprbox.io/node': nodeName,
  'hyprbox.io/state': createHash('sha256').update(state).digest('hex').slice(0, 16),
});

export function runName(profile: string, nodeName: string, state: string, attempt: number): string {
  const h = runLabels(profile, nodeName, state)['hyprbox.io/state']!.slice(0, 8);
  const suffix = `-${h}-${attempt}`;
  return `${`${profile}-${nodeName}`.slice(0, 253 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/** Creates the run; undefined when a run of that name already exists (someone created it first). */
export async function createRun(i: RenderInput): Promise<Obj | undefined> {
  const spec = i.preset.spec as PresetSpec;
  const steps = STEPS.filter((s) => spec[s]).map((s) => ({ name: s, script: spec[s]!.script, ...(spec[s]!.timeoutSeconds ? { timeoutSeconds: spec[s]!.timeoutSeconds } : {}) }));
  const body = {
    apiVersion: 'hyprbox.io/v1alpha1',
    kind: 'Run',
    metadata: { name: runName(i.profile, i.nodeName, i.state, i.attempt), namespace: i.namespace, labels: runLabels(i.profile, i.nodeName, i.state) },
    spec: {
      nodeName: i.nodeName,
      preset: i.preset.metadata.name!,
      presetDigest: presetDigest(i.preset.spec),
      risk: spec.risk ?? 'CONFIRM',
      params: i.params,
      steps,
      ...(spec.resources ? { resources: spec.resources } : {}),
      findingRef: i.finding,
      profileRef: i.profile,
    },
  };
  const { obj } = admitCreate(i.runs.resource, body, { namespace: i.namespace, fieldValidation: 'Strict', now: i.now });
  // A run that waits for approval carries no signature: a signature is the agent's licence to run, so it is
  // given when the run becomes runnable (approval.ts), never before.
  const signed = i.autoApprove ? i.sign(obj) : obj;
  signed.status = { phase: i.autoApprove ? 'Pending' : 'AwaitingApproval' };
  try {
    return await i.runs.create(signed);
  } catch (err) {
    if ((err as { code?: number }).code === 409) return undefined;
    throw err;
  }
}
