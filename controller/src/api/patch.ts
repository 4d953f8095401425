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
    // Bodies with this key are refused when parsed; never assign it here either (it would set a prototype).
    if (k === '__proto__') continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v);
  }
  return out;
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  try {
    return jsonpatch.applyPatch(doc, ops as Operation[], true, true).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number; operation?: { op?: string; path?: string; from?: string } };
    const at = e.index !== undefined ? ` (operation ${e.index})` : '';
    // fast-json-patch's own errors say what is wrong; anything else is JavaScript failing on a path that does
    // not resolve (e.g. moving a value into itself), which its message would only obscure.
    const why = e.name && e.name !== 'TypeError' && e.name !== 'RangeError'
      ? (e.message ?? '').split('\n')[0]
      : 'a path of the operation does not resolve in the object';
    throw new ApiError(422, 'Invalid', `the JSON patch could not be applied${at}: ${why}`);
  }
}

export function applyPatch(type: string, target: unknown, patch: unknown): unknown {
  let out: unknown;
  if (type === 'application/merge-patch+json') {
    // RFC 7386 lets a non-object patch replace the whole document; an API object cannot be replaced by one.
    if (!isObj(patch)) throw badRequest('a merge patch must be a JSON object');
    out = mergePatch(target, patch);
  } else if (type === 'application/json-patch+json') {
    out = applyJsonPatch(target, patch);
  } else {
    throw new ApiError(415, 'UnsupportedMediaType', `patch type ${type} is not supported`);
  }
  if (!isObj(out)) throw new ApiError(422, 'Invalid', 'the patch would replace the object with something that is not an object');
  return out;
}
