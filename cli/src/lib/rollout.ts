// A profile's rollout at a glance, from its status: counts, the Stalled condition, done or not.
import type { Obj } from './client.js';

export interface RolloutState {
  profile: string;
  matched: number;
  compliant: number;
  drifted: number;
  unknown: number;
  remediating: number;
  failed: number;
  paused: boolean;
  done: boolean;
  observed: boolean;
  message: string;
}

export function rolloutState(p: Obj): RolloutState {
  const st = (p.status ?? {}) as Record<string, unknown> & { conditions?: Array<{ type: string; status: string; message?: string }>; observedGeneration?: number };
  const n = (k: string): number => (typeof st[k] === 'number' ? (st[k] as number) : 0);
  const cond = (t: string) => st.conditions?.find((c) => c.type === t);
  const paused = cond('Stalled')?.status === 'True';
  const observed = st.observedGeneration === (p.metadata as { generation?: number }).generation;
  const s = { matched: n('matched'), compliant: n('compliant'), drifted: n('drifted'), unknown: n('unknown'), remediating: n('remediating'), failed: n('failed') };
  const done = observed && !paused && s.matched === s.compliant;
  const message = !observed
    ? 'waiting for the controller to observe the latest spec'
    : paused
      ? `paused: ${cond('Stalled')?.message ?? 'a run failed'} (resume with: hyprbox rollout resume ${p.metadata.name})`
      : done
        ? `complete: ${s.compliant}/${s.matched} nodes compliant`
        : `${s.compliant}/${s.matched} compliant, ${s.remediating} remediating, ${s.drifted} drifted, ${s.unknown} unknown, ${s.failed} failed`;
  return { profile: p.metadata.name!, ...s, paused, done, observed, message };
}
