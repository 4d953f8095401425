// The plan of a NodeProfile (stored, or proposed and never stored): per matching node and state, the verdict,
// what would happen (nothing, a run starting on its own, a run waiting for approval, or blocked and why),
// the preset and its risk, and the exact steps a run would execute with its params. Nothing is written.
import { defaultParams } from '../catalog/params.js';
import type { Obj } from '../api/admission.js';
import { verdictFor } from './check.js';
import type { Verdict } from './check.js';
import { gateFor } from './gate.js';
import { matchesProfile, rolloutBudget, rolloutPaused } from './nodeprofile.js';
import type { ProfileSpec } from './nodeprofile.js';
import { autoApproved } from './runs.js';
import type { PresetSpec } from './runs.js';

export interface PlannedState {
  state: string;
  preset: string;
  risk?: string;
  verdict: Verdict;
  action: 'none' | 'run' | 'await-approval' | 'blocked';
  why?: string;
  steps?: Array<{ name: string; script: string; timeoutSeconds?: number }>;
  params?: Record<string, unknown>;
}

export interface Plan {
  apiVersion: 'hyprbox.io/v1alpha1';
  kind: 'Plan';
  profile: string;
  namespace: string;
  nodes: Array<{ node: string; states: PlannedState[] }>;
}

export function planProfile(profile: Obj, nodes: Obj[], presetOf: (name: string) => Obj | undefined, runs: Obj[], now: Date): Plan {
  const spec = profile.spec as ProfileSpec;
  const name = profile.metadata.name!;
  const own = runs.filter((r) => r.metadata.labels?.['hyprbox.io/profile'] === name);
  const paused = rolloutPaused(profile, own);
  const rb = rolloutBudget(spec, own);
  let budget = rb.budget;
  let canaryLeft = rb.canaryLeft;
  const matched = nodes.filter((n) => matchesProfile(spec, n)).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  return {
    apiVersion: 'hyprbox.io/v1alpha1',
    kind: 'Plan',
    profile: name,
    namespace: profile.metadata.namespace!,
    nodes: matched.map((node) => ({
      node: node.metadata.name!,
      states: (spec.states ?? []).map((st): PlannedState => {
        const preset = presetOf(st.preset);
        const ps = preset?.spec as PresetSpec | undefined;
        const verdict: Verdict = verdictFor(st.preset, preset, node);
        const base = { state: st.name ?? st.preset, preset: st.preset, ...(ps?.risk ? { risk: ps.risk } : { risk: 'CONFIRM' }), verdict };
        if (verdict.state !== 'drifted') return { ...base, action: 'none', why: verdict.state === 'compliant' ? 'compliant' : verdict.reason };
        const g = gateFor(spec, node, { rolloutPaused: paused, presetExists: preset !== undefined, budget, waitingForCanary: rb.canaryPending && canaryLeft <= 0, now });
        const steps = (['precheck', 'apply', 'verify', 'rollback'] as const).filter((s) => ps?.[s]).map((s) => ({ name: s, script: ps![s]!.script, ...(ps![s]!.timeoutSeconds ? { timeoutSeconds: ps![s]!.timeoutSeconds } : {}) }));
        // The params a run would get: the profile's, with the preset's defaults filled in (as at queue time).
        const params = preset ? defaultParams(preset, st.with ?? {}) : st.with ?? {};
        if (g.blocked) return { ...base, action: 'blocked', why: g.blocked, steps, params };
        budget -= 1;
        if (rb.canaryPending) canaryLeft -= 1;
        const auto = autoApproved(ps?.risk, spec.remediation ?? {}, node);
        const nodeRequires = (node.spec as { requireApproval?: boolean } | undefined)?.requireApproval === true;
        return { ...base, action: auto ? 'run' : 'await-approval', why: auto ? `${ps?.risk ?? 'CONFIRM'} is within autoApproveUpTo` : nodeRequires ? 'the node requires a person\'s approval for every run' : 'needs a person\'s approval', steps, params };
      }),
    })),
  };
}
