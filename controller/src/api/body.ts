// Request bodies: JSON or YAML, size-capped by the raw parser, parsed strictly. Duplicate keys are errors
// (JSON.parse would silently keep the last one, and the object stored would not be the one written).
import { parseDocument } from 'yaml';
import { badRequest, unsupportedMediaType } from './errors.js';
import { PROTOBUF, decodeProtobuf } from './protobuf.js';

export const BODY_LIMIT = 3 * 1024 * 1024;
/** Nesting allowed in a body: far beyond any HyprBox object, well within what recursive code can walk. */
export const MAX_BODY_DEPTH = 100;

export const OBJECT_TYPES = ['application/json', 'application/yaml'];
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json', APPLY_PATCH];

/** The media type without parameters, lower-cased. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a request body of the given media type; throws a 400/415 ApiError naming line and column. */
export function parseBody(raw: unknown, contentType: string | undefined, accepted: string[]): unknown {
  // No Content-Type at all (kubectl create --raw sends none) is JSON where JSON objects are accepted, as in
  // Kubernetes; a wrong one is still a 415.
  const type = mediaType(contentType) || (accepted.includes('application/json') ? 'application/json' : '');
  // Where JSON objects are accepted, so is the protobuf kubectl's typed clients send for built-in kinds.
  if (type === PROTOBUF && accepted.includes('application/json') && Buffer.isBuffer(raw)) return decodeProtobuf(raw);
  if (!accepted.includes(type)) throw unsupportedMediaType(type || '(none)', accepted);
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  if (text.trim() === '') throw badRequest('the request body is empty');
  const value = type.endsWith('yaml') ? parseYaml(text) : parseJson(text);
  // The cheap walk on every body; the one that names where only when something is wrong.
  if (!shapeOk(value, MAX_BODY_DEPTH)) throw badRequest(shapeProblem(value, MAX_BODY_DEPTH, '') ?? 'the request body cannot be read');
  return value;
}

function shapeOk(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (max === 0) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!shapeOk(v, max - 1)) return false;
    return true;
  }
  for (const k in value) {
    if (k === '__proto__' || !shapeOk((value as Record<string, unknown>)[k], max - 1)) return false;
  }
  return true;
}

/**
 * What makes a parsed body unsafe to walk, if anything: nesting deeper than `max` (checked without recursing
 * further), or a `__proto__` key. JSON.parse and the YAML parser keep that key as plain data, but the first
 * `obj[key] = value` that copies it (a merge, a default, an apply) would replace an object's prototype, or
 * write into every object's.
 */
function shapeProblem(value: unknown, max: number, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (max === 0) return `the request body is nested more than ${MAX_BODY_DEPTH} levels deep`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = shapeProblem(value[i], max - 1, `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k;
    if (k === '__proto__') return `the field name __proto__ is not allowed (at ${at})`;
    const p = shapeProblem(v, max - 1, at);
    if (p) return p;
  }
  return undefined;
}

export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(`malformed JSON in request body: ${(err as Error).message}`);
  }
  const dup = findDuplicateJsonKey(text);
  if (dup) throw badRequest(`malformed JSON in request body: duplicate field "${dup}"`, [
    { reason: 'FieldValueDuplicate', field: dup, message: `duplicate field "${dup}"` },
  ]);
  return value;
}

/**
 * Whether YAML nests deeper than the parser can safely go. It recurses once per level, and past about 800
 * levels its stack overflows, after which the process can die on its next YAML. So brackets (counted
 * everywhere, also inside strings: a conservative overestimate) and indentation are bounded before parsing.
 */
function yamlTooDeep(text: string, maxFlow = 200, maxIndent = 400): boolean {
  let flow = 0;
  let indent = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === 0x20) {
        if (++indent > maxIndent) return true;
        continue;
      }
      lineStart = false;
    }
    if (c === 0x5b || c === 0x7b) {
      if (++flow > maxFlow) return true;
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) {
      flow--;
    }
  }
  return false;
}

export function parseYaml(text: string): unknown {
  if (yamlTooDeep(text)) throw badRequest(`the request body is nested more than ${MAX_BODY_DEPTH} levels deep`);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
    throw badRequest(`malformed YAML in request body: ${where}${err.message.split(' at line ')[0]!.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/**
 * Finds the first key that appears twice in one JSON object, as a dotted path (`spec.states[0].preset`).
 * Assumes `text` is valid JSON (JSON.parse succeeded), so the scanner only tracks structure.
 */
export function findDuplicateJsonKey(text: string): string | undefined {
  type Frame = { obj: boolean; keys: Set<string>; index: number; key?: string; path: string };
  const stack: Frame[] = [];
  const pathOf = (f: Frame | undefined, key: string | number): string => {
    const base = f?.path ?? '';
    return typeof key === 'number' ? `${base}[${key}]` : base ? `${base}.${key}` : key;
  };
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.obj ? pathOf(top, top.key ?? '') : pathOf(top, top.index);
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.obj) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return pathOf(top, key);
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ obj: true, keys: new Set(), index: 0, path: childPath() });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ obj: false, keys: new Set(), index: 0, path: childPath() });
    } else if (c === 0x7d || c === 0x5d /* } ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.obj) expectKey = true;
      else if (top) top.index += 1;
    }
  }
  return undefined;
}
