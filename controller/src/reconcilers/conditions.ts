// One helper for every status condition: lastTransitionTime moves only when the status flips, and the
// caller learns whether anything changed (so it writes, and emits events, only on change).
import { isoSeconds } from '../api/admission.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export function setCondition(status: Record<string, unknown>, type: string, value: Condition['status'], reason: string, message: string, generation: number, now: Date): boolean {
  const conditions = ((status.conditions ??= []) as Condition[]);
  const current = conditions.find((c) => c.type === type);
  if (current && current.status === value && current.reason === reason && current.message === message && current.observedGeneration === generation) return false;
  const next: Condition = {
    type,
    status: value,
    reason,
    message,
    lastTransitionTime: current && current.status === value ? current.lastTransitionTime : isoSeconds(now),
    observedGeneration: generation,
  };
  if (current) Object.assign(current, next);
  else conditions.push(next);
  return true;
}
