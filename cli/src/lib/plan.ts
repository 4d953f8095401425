// Plans of NodeProfiles (stored, or proposed from a file and never stored), rendered per node.
import type { Target } from './apply.js';
import type { Client } from './client.js';
import { ApiError } from './errors.js';
import { locateCauses } from './manifests.js';

export interface PlannedState {
  state: string;
  preset: string;
  risk?: string;
  verdict: { state: string; reason?: string; mismatches?: unknown[] };
  action: 'none' | 'run' | 'await-approval' | 'blocked';
  why?: string;
  steps?: Array<{ name: string; script: string; timeoutSeconds?: number }>;
  params?: Record<string, unknown>;
}

export interface Plan {
  profile: string;
  namespace: string;
  nodes: Array<{ node: string; states: PlannedState[] }>;
}

export async function fetchPlan(client: Client, ns: string, name: string, proposed?: Target): Promise<Plan> {
  const path = `/apis/hyprbox.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/nodeprofiles/${encodeURIComponent(name)}/plan`;
  try {
    return await client.json<Plan>('POST', path, proposed ? { body: proposed.body, query: { fieldValidation: 'Strict' } } : {});
  } catch (err) {
    if (proposed && err instanceof ApiError) throw new ApiError(err.status, err.reason, `${proposed.m.source}: ${err.message}`, locateCauses(proposed.m, err.causes));
    throw err;
  }
}

const ACTION: Record<PlannedState['action'], string> = { none: 'no change', run: 'RUNS ON ITS OWN', 'await-approval': 'WAITS FOR APPROVAL', blocked: 'BLOCKED' };

export function renderPlan(p: Plan, o: { scripts: boolean }): string {
  const out: string[] = [`Plan for nodeprofile ${p.namespace}/${p.profile}: ${p.nodes.length} node(s) match`];
  if (!p.nodes.length) out.push('  (no node matches the selector)');
  let changes = 0;
  for (const n of p.nodes) {
    out.push(`\nnode ${n.node}`);
    for (const s of n.states) {
      if (s.action !== 'none') changes++;
      const verdict = `${s.verdict.state}${s.verdict.reason ? ` (${s.verdict.reason})` : ''}`;
      out.push(`  ${s.state}: preset ${s.preset}${s.risk ? `, risk ${s.risk}` : ''}, ${verdict} -> ${ACTION[s.action]}${s.why ? `: ${s.why}` : ''}`);
      if (s.action === 'none' || !o.scripts) continue;
      if (s.params && Object.keys(s.params).length) out.push(`    params (as environment variables): ${Object.entries(s.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
      for (const step of s.steps ?? []) {
        out.push(`    --- ${step.name}${step.timeoutSeconds ? ` (timeout ${step.timeoutSeconds}s)` : ''}`);
        out.push(...step.script.trimEnd().split('\n').map((l) => `    | ${l}`));
      }
    }
  }
  out.push(`\n${changes} change(s) planned.`);
  return out.join('\n');
}
