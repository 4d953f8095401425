// Drift evaluation: a preset's check against a node's probe results. Three answers only — compliant,
// drifted, unknown — and unknown whenever a needed probe could not be read: never a guess.
import { isDeepStrictEqual } from 'node:util';

export type Verdict =
  | { state: 'compliant' }
  | { state: 'drifted'; mismatches: Array<{ field: string; expected: unknown; actual: unknown }> }
  | { state: 'unknown'; reason: string };

interface Probe {
  state?: string;
  value?: unknown;
  reason?: string;
  observedAt?: string;
}

/**
 * An expectation is a literal (equal to the probe's value) or one operator object:
 * `{ in: [...] }`, `{ notIn: [...] }`, `{ min: n }`, `{ max: n }`, `{ exists: true }`.
 */
export function satisfies(expected: unknown, actual: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const e = expected as Record<string, unknown>;
    const keys = Object.keys(e);
    if (keys.length === 1) {
      const [op] = keys as [string];
      const v = e[op];
      switch (op) {
        case 'in': return Array.isArray(v) && v.some((x) => isDeepStrictEqual(x, actual));
        case 'notIn': return Array.isArray(v) && !v.some((x) => isDeepStrictEqual(x, actual));
        case 'min': return typeof actual === 'number' && typeof v === 'number' && actual >= v;
        case 'max': return typeof actual === 'number' && typeof v === 'number' && actual <= v;
        case 'exists': return (actual !== undefined && actual !== null) === Boolean(v);
      }
    }
  }
  return isDeepStrictEqual(expected, actual);
}

/** `check.probes` (field → expectation) and/or a check script whose result the agent reports as `check.<preset>`. */
export function evaluateCheck(preset: { name: string; check?: { probes?: Record<string, unknown>; script?: string } }, probes: Record<string, Probe> | undefined): Verdict {
  const check = preset.check;
  const expectations = Object.entries(check?.probes ?? {});
  if (check?.script) expectations.push([`check.${preset.name}`, 'compliant']);
  if (expectations.length === 0) return { state: 'unknown', reason: `preset ${preset.name} declares no check` };
  if (!probes) return { state: 'unknown', reason: 'the node has not reported any probe results yet' };
  const mismatches: Array<{ field: string; expected: unknown; actual: unknown }> = [];
  for (const [field, expected] of expectations) {
    const p = probes[field];
    if (!p) return { state: 'unknown', reason: `probe ${field} has not been reported` };
    if (p.state !== 'ok') return { state: 'unknown', reason: `probe ${field} is unknown: ${p.reason ?? 'no reason given'}` };
    if (!satisfies(expected, p.value)) mismatches.push({ field, expected, actual: p.value });
  }
  return mismatches.length ? { state: 'drifted', mismatches } : { state: 'compliant' };
}

/** The verdict of one state on one node: its preset's check against the node's probes. */
export function verdictFor(presetName: string, preset: Record<string, unknown> | undefined, node: Record<string, unknown>): Verdict {
  if (!preset) return { state: 'unknown', reason: `preset ${presetName} does not exist` };
  const probes = (node.status as { probes?: Record<string, Probe> } | undefined)?.probes;
  return evaluateCheck({ name: presetName, ...((preset.spec ?? {}) as { check?: { probes?: Record<string, unknown>; script?: string } }) }, probes);
}
