// Params of profile states and runs, checked against their preset at every write: the preset's params schema
// (a bad param is a 422 naming the field) and its secret params, which must be references resolved on the
// host (`env:NAME`, `file:/path`), never values — so no secret is ever stored, watched, logged or audited.
// The checks themselves live in catalog/params.ts; this applies them to the two kinds that carry params.
import type { Obj } from '../api/admission.js';
import type { StatusCause } from '../api/errors.js';
import { paramCauses } from '../catalog/params.js';

export function paramsCauses(obj: Obj, presetOf: (name: string) => Obj | undefined): StatusCause[] {
  const spec = obj.spec as { states?: Array<{ preset?: string; with?: unknown }>; preset?: string; params?: unknown } | undefined;
  const causes: StatusCause[] = [];
  const check = (name: string | undefined, values: unknown, field: string): void => {
    const preset = name ? presetOf(name) : undefined;
    // A preset that does not exist yet is the reconciler's to report (PresetNotFound), not an admission error.
    if (preset) causes.push(...paramCauses(preset, values ?? {}, field));
  };
  if (obj.kind === 'NodeProfile') spec?.states?.forEach((s, i) => check(s.preset, s.with, `spec.states[${i}].with`));
  if (obj.kind === 'Run') check(spec?.preset, spec?.params, 'spec.params');
  return causes;
}
