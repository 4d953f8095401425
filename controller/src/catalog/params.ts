// A Preset's params: its spec.params JSON schema compiled (once per distinct schema), the values a profile
// state passes in `with` checked against it as Kubernetes-style causes with exact field paths, and the
// schema's defaults applied for rendering. Secret params (spec.secretParams) are references resolved on the
// host: their values are never echoed in a message, and only their reference form is checked here.
import { createHash } from 'node:crypto';
import { boundViolation, createJsonSchemaAjv, isSecretKey, redact, REDACTED } from '@hyprbox/crds';
import type { JsonSchemaError, JsonSchemaValidator } from '@hyprbox/crds';
import type { Obj } from '../api/admission.js';
import type { StatusCause } from '../api/errors.js';
/** A secret param's value: a reference resolved on the host, never the secret itself. */
export const SECRET_REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/[^\0]*)$/;

export type { JsonSchemaValidator as ParamsValidator };

type Schema = Record<string, unknown>;

/** The schema of a preset without spec.params: no parameters at all. */
const NO_PARAMS: Schema = Object.freeze({ type: 'object', additionalProperties: false }) as Schema;

/** Names the agent sets itself in a step's environment; a param may not override them. */
const RESERVED_PARAM = /^(PATH|LANG|HYPRBOX_.*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------
// Digests

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** `sha256:<hex>` of the canonical JSON of a value (a preset's spec, a params schema). */
export function specDigest(spec: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(spec)).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------------------
// The schema

interface PresetSpecView {
  params?: unknown;
  secretParams?: unknown;
}

const specOf = (preset: Obj): PresetSpecView => (isPlainObject(preset.spec) ? preset.spec : {}) as PresetSpecView;

/** The params schema of a preset, NO_PARAMS when it declares none. */
function schemaOf(preset: Obj): unknown {
  const params = specOf(preset).params;
  return params === undefined || params === null ? NO_PARAMS : params;
}

/** Names listed in the preset's spec.secretParams. */
export function secretParamsOf(preset: Obj): string[] {
  const s = specOf(preset).secretParams;
  return Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : [];
}

/** A problem with a params schema; `field` is relative to spec.params ('' for the schema as a whole). */
export interface ParamsSchemaProblem {
  field: string;
  message: string;
}

/** Raised by compileParams when a preset's spec.params is not a usable JSON schema. */
export class ParamsSchemaError extends Error {
  constructor(readonly problems: ParamsSchemaProblem[]) {
    super(problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '));
    this.name = 'ParamsSchemaError';
  }
}

/** Keys whose values are maps of names to schemas (the names are not keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies', 'dependentSchemas']);

/** Keywords a params schema may not use: $id would make schemas resolve each other, $async validators return promises. */
function forbiddenKeywords(schema: unknown, path: string, out: ParamsSchemaProblem[], depth = 0): void {
  if (depth > 64) {
    out.push({ field: path, message: 'is nested too deeply' });
    return;
  }
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => forbiddenKeywords(s, `${path}[${i}]`, out, depth + 1));
    return;
  }
  if (!isPlainObject(schema)) return;
  for (const [k, v] of Object.entries(schema)) {
    const at = path ? `${path}.${k}` : k;
    if (k === '$id' || k === 'id' || k === '$async') {
      // `id` is draft-04's $id; inside a map of names it is a name, handled below.
      out.push({ field: at, message: `${k} is not supported in a params schema` });
    } else if (SCHEMA_MAPS.has(k) && isPlainObject(v)) {
      for (const [name, sub] of Object.entries(v)) forbiddenKeywords(sub, `${at}.${name}`, out, depth + 1);
    } else if (k !== 'default' && k !== 'enum' && k !== 'const' && k !== 'examples' && k !== 'example') {
      forbiddenKeywords(v, at, out, depth + 1);
    }
  }
}

let ajv: ReturnType<typeof createJsonSchemaAjv> | undefined;

function compileSchema(schema: Schema): JsonSchemaValidator {
  ajv ??= createJsonSchemaAjv();
  // A private copy: ajv keeps references to the schema it compiled, and callers' objects may change.
  const own = structuredClone(schema);
  try {
    return ajv.compile(own);
  } finally {
    ajv.removeSchema(own);
  }
}

/**
 * Everything wrong with a params schema (empty when it compiles): it must be an object schema (type: object)
 * whose declared parameters are environment variable names the agent does not set itself, and a JSON schema
 * (draft-07) ajv compiles in strict mode. `undefined` (no params) is fine.
 */
export function paramsSchemaProblems(params: unknown): ParamsSchemaProblem[] {
  if (params === undefined || params === null) return [];
  if (!isPlainObject(params)) return [{ field: '', message: 'must be a JSON schema object' }];
  const out: ParamsSchemaProblem[] = [];
  if (params.type !== 'object') out.push({ field: 'type', message: 'must be "object": params are named values' });
  if (params.properties !== undefined && isPlainObject(params.properties)) {
    for (const name of Object.keys(params.properties)) {
      if (!ENV_NAME.test(name)) {
        out.push({ field: `properties.${name}`, message: 'a parameter name must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*): params reach the scripts as environment variables' });
      } else if (RESERVED_PARAM.test(name)) {
        out.push({ field: `properties.${name}`, message: `"${name}" is set by the agent itself and cannot be a parameter` });
      }
    }
  }
  forbiddenKeywords(params, '', out);
  if (out.length) return out;
  // Against the draft-07 meta-schema first: its errors say which keyword of which subschema is wrong.
  ajv ??= createJsonSchemaAjv();
  if (!ajv.validateSchema(params)) {
    const seen = new Set<string>();
    for (const e of ajv.errors ?? []) {
      const segments = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
      let value: unknown = params;
      let field = '';
      for (const seg of segments) {
        field = Array.isArray(value) ? `${field}[${seg}]` : field ? `${field}.${seg}` : seg;
        value = Array.isArray(value) ? value[Number(seg)] : isPlainObject(value) ? value[seg] : undefined;
      }
      if (seen.has(field)) continue; // the first error at a place is the telling one (anyOf repeats it)
      seen.add(field);
      const shown = JSON.stringify(value) ?? String(value);
      out.push({ field, message: `Invalid value: ${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}: ${e.message ?? e.keyword} (not a valid JSON schema)` });
    }
    return out;
  }
  try {
    compileSchema(params);
  } catch (err) {
    out.push({ field: '', message: `is not a valid JSON schema: ${(err as Error).message}` });
  }
  return out;
}

const MAX_CACHED = 512;
/** Compiled validators (or the reason a schema does not compile) by schema digest, least recently used first. */
const byDigest = new Map<string, JsonSchemaValidator | ParamsSchemaError>();
function compiledOf(schema: unknown): JsonSchemaValidator | ParamsSchemaError {
  // By content, not by object or resourceVersion: a caller's object may change, and every version of a preset
  // with the same params (most of them: a script edit changes no schema) shares one validator.
  const digest = specDigest(schema);
  let entry = byDigest.get(digest);
  if (entry) {
    byDigest.delete(digest);
  } else {
    const problems = paramsSchemaProblems(schema);
    entry = problems.length ? new ParamsSchemaError(problems) : compileSchema(schema as Schema);
  }
  byDigest.set(digest, entry);
  if (byDigest.size > MAX_CACHED) byDigest.delete(byDigest.keys().next().value!);
  return entry;
}

/**
 * The ajv validator of a preset's spec.params (no params: an empty object only), compiled once per distinct
 * schema (cached by the digest of spec.params, so every resourceVersion of a preset with the same params shares
 * it).
 * Throws ParamsSchemaError when the schema is unusable.
 */
export function compileParams(preset: Obj): JsonSchemaValidator {
  const entry = compiledOf(schemaOf(preset));
  if (entry instanceof ParamsSchemaError) throw entry;
  return entry;
}

// ---------------------------------------------------------------------------------------------------------
// Checking values

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** A value as messages show it: JSON, secrets redacted, cut at 80 characters. */
function show(v: unknown, secret: boolean, secrets: readonly string[]): string {
  const s = secret ? JSON.stringify(REDACTED) : (JSON.stringify(redact(v, { secretKeys: secrets })) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Resolves a local $ref (#/definitions/x); anything else gives undefined. */
function deref(root: unknown, s: unknown): unknown {
  for (let i = 0; i < 32 && isPlainObject(s) && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref;
    if (!ref.startsWith('#')) return undefined;
    let cur: unknown = root;
    for (const raw of ref.slice(1).split('/').filter((p) => p !== '')) {
      const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      cur = isPlainObject(cur) ? cur[seg] : Array.isArray(cur) ? cur[Number(seg)] : undefined;
    }
    s = cur;
  }
  return s;
}

interface Located {
  /** Kubernetes-style path of the value. */
  field: string;
  value: unknown;
  /** Whether the value is a secret param or lies under a secret-named key. */
  secret: boolean;
  /** The top-level param the value belongs to, if any. */
  param: string | undefined;
}

/**
 * Walks an ajv instancePath through the values and the schema: list items are `[i]`, declared properties
 * `.name`, entries of a map (additionalProperties or patternProperties schema) `[key]`.
 */
function locate(prefix: string, pointer: string, data: unknown, root: unknown, secrets: readonly string[]): Located {
  let field = prefix;
  let value = data;
  let schema: unknown = deref(root, root);
  let secret = false;
  let param: string | undefined;
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  segments.forEach((seg, depth) => {
    const s = isPlainObject(schema) ? schema : {};
    if (Array.isArray(value)) {
      field = `${field}[${seg}]`;
      value = value[Number(seg)];
      schema = deref(root, Array.isArray(s.items) ? s.items[Number(seg)] : s.items);
      return;
    }
    const props = isPlainObject(s.properties) ? s.properties : {};
    const declared = Object.prototype.hasOwnProperty.call(props, seg);
    const mapValue = !declared && (isPlainObject(s.additionalProperties) || isPlainObject(s.patternProperties));
    field = mapValue ? `${field}[${seg}]` : `${field}.${seg}`;
    if (depth === 0) param = seg;
    if (isSecretKey(seg, depth === 0 ? secrets : [])) secret = true;
    value = isPlainObject(value) ? value[seg] : undefined;
    schema = deref(root, declared ? props[seg] : isPlainObject(s.additionalProperties) ? s.additionalProperties : undefined);
  });
  return { field, value, secret, param };
}

function causeOf(err: JsonSchemaError, prefix: string, data: unknown, root: unknown, secrets: readonly string[], preset: string): StatusCause & { param?: string } {
  const at = locate(prefix, err.instancePath, data, root, secrets);
  const p = err.params as Record<string, unknown>;
  const shown = (): string => show(at.value, at.secret, secrets);
  const invalid = (detail: string) => ({ field: at.field, param: at.param, reason: 'FieldValueInvalid', message: `Invalid value: ${shown()}: ${detail}` });
  const child = (name: string) => (at.field ? `${at.field}.${name}` : name);
  const topParam = (name: string) => at.param ?? (err.instancePath === '' ? name : undefined);
  switch (err.keyword) {
    case 'required':
      return { field: child(String(p['missingProperty'])), param: topParam(String(p['missingProperty'])), reason: 'FieldValueRequired', message: 'Required value' };
    case 'dependencies':
    case 'dependentRequired':
      return {
        field: child(String(p['missingProperty'])),
        param: topParam(String(p['missingProperty'])),
        reason: 'FieldValueRequired',
        message: `Required value: required when ${JSON.stringify(p['property'])} is given`,
      };
    case 'additionalProperties': {
      const name = String(p['additionalProperty']);
      const declared = err.instancePath === '' && isPlainObject(root) && isPlainObject(root.properties) ? Object.keys(root.properties) : [];
      return {
        field: child(name),
        param: topParam(name),
        reason: 'FieldValueUnknown',
        message: err.instancePath === ''
          ? `unknown field "${name}": preset ${preset} has no such parameter${declared.length ? ` (its parameters: ${declared.join(', ')})` : ' (it takes no parameters)'}`
          : `unknown field "${name}"`,
      };
    }
    case 'type': {
      const expected = Array.isArray(p['type']) ? (p['type'] as string[]).join(' or ') : String(p['type']);
      return { field: at.field, param: at.param, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(at.value)}": must be of type ${expected}` };
    }
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { field: at.field, param: at.param, reason: 'FieldValueNotSupported', message: `Unsupported value: ${shown()}: supported values: ${allowed}` };
    }
    case 'const':
      return { field: at.field, param: at.param, reason: 'FieldValueNotSupported', message: `Unsupported value: ${shown()}: supported values: ${JSON.stringify(p['allowedValue'])}` };
    case 'format':
      return invalid(`must be a valid ${String(p['format'])}`);
    case 'uniqueItems':
      return { field: at.field, param: at.param, reason: 'FieldValueDuplicate', message: `Duplicate value: items ${String(p['j'])} and ${String(p['i'])} are identical` };
    default: {
      const bound = boundViolation(err.keyword, p);
      if (bound) return 'tooLong' in bound ? { field: at.field, param: at.param, reason: 'FieldValueTooLong', message: bound.tooLong } : invalid(bound.detail);
      // ajv's messages describe the schema, never the data (anyOf, oneOf, not, if, propertyNames, ...).
      return invalid(err.message ?? `fails ${err.keyword}`);
    }
  }
}

/**
 * Causes for the values a profile state passes to a preset (`with`), checked against the preset's params
 * schema, at exact paths under `fieldPrefix` (e.g. `spec.states[1].with` gives `spec.states[1].with.repository`):
 * FieldValueRequired for a missing param, FieldValueUnknown for one the schema does not declare (with
 * additionalProperties: false), FieldValueNotSupported outside an enum, FieldValueTypeInvalid, FieldValueTooLong,
 * FieldValueInvalid for the rest. A secret param must be a reference (env:NAME or file:/path), which is all
 * that is checked of it: the secret itself is on the host. No message shows the value of a secret param (or
 * of any secret-named key). A preset whose params schema does not compile gives one cause at fieldPrefix.
 */
export function paramCauses(preset: Obj, withValues: unknown, fieldPrefix: string): StatusCause[] {
  const name = preset.metadata.name ?? '';
  let validate: JsonSchemaValidator;
  try {
    validate = compileParams(preset);
  } catch (err) {
    if (!(err instanceof ParamsSchemaError)) throw err;
    return [{ field: fieldPrefix, reason: 'FieldValueInvalid', message: `Invalid value: preset ${name} has an invalid params schema (spec.params ${err.message}); fix the preset` }];
  }
  const values = withValues === undefined || withValues === null ? {} : withValues;
  if (!isPlainObject(values)) {
    return [{ field: fieldPrefix, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(values)}": must be of type object` }];
  }
  const secrets = secretParamsOf(preset);
  const causes: StatusCause[] = [];
  if (!validate(values)) {
    const errors = validate.errors ?? [];
    // A failed anyOf/oneOf says so once; the failures of each of its branches are noise.
    const branches = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
    for (const err of errors.filter((e) => !branches.some((b) => e.schemaPath.startsWith(b)))) {
      const { param, ...cause } = causeOf(err, fieldPrefix, values, schemaOf(preset), secrets, name);
      // The value of a secret param is a reference: the schema describes the secret, which is on the host.
      const aboutSecretValue = param !== undefined && secrets.includes(param) && cause.reason !== 'FieldValueRequired' && cause.reason !== 'FieldValueUnknown';
      if (!aboutSecretValue) causes.push(cause);
    }
  }
  for (const s of secrets) {
    const v = values[s];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !SECRET_REFERENCE.test(v)) {
      causes.push({
        field: `${fieldPrefix}.${s}`,
        reason: 'FieldValueInvalid',
        message: `"${s}" is a secret of preset ${name}: give a reference resolved on the host (env:NAME or file:/path), never the value`,
      });
    }
  }
  const seen = new Set<string>();
  return causes.filter((c) => {
    const id = `${c.field ?? ''}\u0000${c.reason ?? ''}\u0000${c.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Defaults

function applyDefaultsTo(x: unknown, s: unknown, root: unknown, depth: number): void {
  const schema = deref(root, s);
  if (!isPlainObject(schema) || depth > 64) return;
  if (Array.isArray(schema.allOf)) for (const sub of schema.allOf) applyDefaultsTo(x, sub, root, depth + 1);
  if (isPlainObject(x)) {
    const props = isPlainObject(schema.properties) ? schema.properties : {};
    for (const [k, sub] of Object.entries(props)) {
      const d = deref(root, sub);
      if (!Object.prototype.hasOwnProperty.call(x, k) && isPlainObject(d) && d.default !== undefined) x[k] = structuredClone(d.default);
    }
    for (const [k, v] of Object.entries(x)) {
      const sub = Object.prototype.hasOwnProperty.call(props, k) ? props[k] : isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
      if (sub !== undefined) applyDefaultsTo(v, sub, root, depth + 1);
    }
  } else if (Array.isArray(x) && isPlainObject(schema.items)) {
    for (const item of x) applyDefaultsTo(item, schema.items, root, depth + 1);
  }
}

/**
 * A copy of `values` (a profile state's `with`) with the defaults of the preset's params schema filled in
 * where a value is absent, recursively (properties, map values, list items, allOf, local $refs): the params a
 * run is rendered with. `values` itself is not changed.
 */
export function defaultParams(preset: Obj, values: unknown): Record<string, unknown> {
  const out = isPlainObject(values) ? structuredClone(values) : {};
  const root = schemaOf(preset);
  applyDefaultsTo(out, root, root, 0);
  return out;
}
