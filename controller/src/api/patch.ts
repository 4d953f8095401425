// PATCH bodies: JSON merge patch (RFC 7386, what kubectl apply/label/annotate send for custom kinds) and
// JSON patch (RFC 6902). Strategic merge patch needs Go struct tags that custom kinds do not have, so
// Kubernetes refuses it for them too (415).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from './errors.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  try {
    return jsonpatch.applyPatch(doc, ops as Operation[], true, true).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number };
    const at = e.index !== undefined ? ` (operation ${e.index})` : '';
    throw new ApiError(422, 'Invalid', `the JSON patch could not be applied${at}: ${(e.message ?? '').split('\n')[0]}`);
  }
}

export function applyPatch(type: string, target: unknown, patch: unknown): unknown {
  if (type === 'application/merge-patch+json') return mergePatch(target, patch);
  if (type === 'application/json-patch+json') return applyJsonPatch(target, patch);
  throw new ApiError(415, 'UnsupportedMediaType', `patch type ${type} is not supported`);
}
