// Findings are keyed (node, type, key): one object per triple, whose name is derived from it, so
// re-detection updates the same Finding and dynamic data lives in message/details, never in the key.
import { findingName } from '@hyprbox/crds';
import type { Obj } from '../api/admission.js';
import { admitCreate, isoSeconds } from '../api/admission.js';
import type { Repository } from '../api/repository.js';

export type FindingPhase = 'Open' | 'AwaitingApproval' | 'Remediating' | 'Resolved' | 'Failed' | 'Snoozed';

export interface FindingSpec {
  nodeName: string;
  type: string;
  key: string;
  severity: 'INFO' | 'WARN' | 'CRITICAL';
  source: 'scanner' | 'drift' | 'controller';
  message: string;
  profile?: string;
  recommendation?: { preset: string };
  details?: Record<string, unknown>;
}

/** Shared with the agent, which names the scanner findings it writes the same way. */
export { findingName };

interface Status {
  phase?: FindingPhase;
  firstSeen?: string;
  lastSeen?: string;
  resolvedAt?: string;
  snoozedUntil?: string;
  runRef?: string;
  history?: Array<{ phase: string; time: string; by?: string; message?: string }>;
}

const HISTORY_MAX = 20;

function transition(st: Status, phase: FindingPhase, now: string, by: string, message: string): void {
  if (st.phase === phase) return;
  st.phase = phase;
  st.history = [...(st.history ?? []), { phase, time: now, by, message }].slice(-HISTORY_MAX);
  if (phase === 'Resolved') st.resolvedAt = now;
  else delete st.resolvedAt;
}

/**
 * Makes the finding say `phase` (opening it if needed), with the latest message and details. Snoozed
 * findings stay snoozed until their time. Writes only when something a person would see changed.
 */
export async function ensureFinding(repo: Repository, ns: string, spec: FindingSpec, phase: FindingPhase, now: Date, extra: { runRef?: string } = {}): Promise<Obj> {
  const name = findingName(spec.nodeName, spec.type, spec.key);
  const time = isoSeconds(now);
  const current = await repo.get(ns, name);
  if (!current) {
    const { obj } = admitCreate(repo.resource, { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Finding', metadata: { name, namespace: ns }, spec }, { namespace: ns, fieldValidation: 'Strict', now });
    const st: Status = { firstSeen: time, lastSeen: time, ...(extra.runRef ? { runRef: extra.runRef } : {}) };
    transition(st, phase, time, 'hyprbox-controller', spec.message);
    obj.status = st;
    try {
      return await repo.create(obj);
    } catch (err) {
      // Created meanwhile (a reconcile working from a cache that was behind): update that one instead.
      if ((err as { code?: number }).code === 409) return ensureFinding(repo, ns, spec, phase, now, extra);
      throw err;
    }
  }
  const next = structuredClone(current);
  next.spec = { ...(current.spec as object), ...spec };
  const st = (next.status ?? {}) as Status;
  const snoozed = st.phase === 'Snoozed' && st.snoozedUntil !== undefined && Date.parse(st.snoozedUntil) > now.getTime();
  if (!snoozed) transition(st, phase, time, 'hyprbox-controller', spec.message);
  if (extra.runRef) st.runRef = extra.runRef;
  next.status = st;
  const before = JSON.stringify({ spec: current.spec, status: { ...(current.status as object), lastSeen: undefined } });
  const after = JSON.stringify({ spec: next.spec, status: { ...st, lastSeen: undefined } });
  if (before === after) return current;
  st.lastSeen = time;
  if (JSON.stringify(current.spec) !== JSON.stringify(next.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
  return repo.update(next, Number(current.metadata.resourceVersion));
}

/** Resolves an existing, unresolved finding; absent or resolved ones are left alone. */
export async function resolveFinding(repo: Repository, ns: string, nodeName: string, type: string, key: string, now: Date, message: string): Promise<void> {
  const current = await repo.get(ns, findingName(nodeName, type, key));
  if (!current) return;
  const st = structuredClone((current.status ?? {}) as Status);
  if (st.phase === 'Resolved') return;
  transition(st, 'Resolved', isoSeconds(now), 'hyprbox-controller', message);
  st.lastSeen = isoSeconds(now);
  await repo.update({ ...current, status: st }, Number(current.metadata.resourceVersion));
}
