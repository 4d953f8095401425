// Secret params are references resolved on the host (`env:NAME`, `file:/path`), never values: a profile
// state or a run that puts a literal into a param its preset marks secret is refused, so no secret is ever
// stored, watched, logged or audited.
import type { Obj } from '../api/admission.js';
import type { StatusCause } from '../api/errors.js';

export const SECRET_REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/[^\0]*)$/;

/** Causes for literal values given to secret params; `secretParamsOf(preset)` names them. */
export function secretParamCauses(obj: Obj, secretParamsOf: (preset: string) => readonly string[] | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const check = (preset: string | undefined, params: unknown, field: string): void => {
    if (!preset || typeof params !== 'object' || params === null) return;
    for (const name of secretParamsOf(preset) ?? []) {
      const v = (params as Record<string, unknown>)[name];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !SECRET_REFERENCE.test(v)) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: `${field}.${name}`,
          message: `"${name}" is a secret of preset ${preset}: give a reference resolved on the host (env:NAME or file:/path), never the value`,
        });
      }
    }
  };
  const spec = obj.spec as { states?: Array<{ preset?: string; with?: unknown }>; preset?: string; params?: unknown } | undefined;
  if (obj.kind === 'NodeProfile') spec?.states?.forEach((s, i) => check(s.preset, s.with, `spec.states[${i}].with`));
  if (obj.kind === 'Run') check(spec?.preset, spec?.params, 'spec.params');
  return causes;
}
