// Validation of objects against their CRD schema, with Kubernetes semantics: structural defaulting, unknown
// field detection (what the API server prunes, or rejects under fieldValidation=Strict), schema validation with
// Kubernetes field paths and cause reasons, and the ObjectMeta rules (names, labels, annotations, finalizers).
//
// Field paths follow Kubernetes: `spec.states[0].preset` for properties and list items, `spec.probes[sshd]` and
// `metadata.labels[app]` for the entries of a map.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { JSONSchemaProps, ResourceDef } from './resources.js';

export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueTooLong'
  | 'FieldValueUnknown'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden';

/** One validation error, as it goes into a Status's details.causes. */
export interface Cause {
  /** Kubernetes-style path of the field at fault; never empty. */
  field: string;
  reason: CauseReason;
  /** What is wrong, without the field (Kubernetes' error body, e.g. `Required value`). */
  message: string;
}

export interface ResourceValidator {
  readonly def: ResourceDef;
  /**
   * Kubernetes structural defaulting, in place: every absent property with a `default` gets a copy of it,
   * recursively (in list items, in map values, and inside objects that defaults created); a null where the
   * schema is not nullable is replaced by the default, or removed when there is none.
   */
  applyDefaults(obj: Record<string, unknown>): void;
  /** Paths of the fields the schema does not declare (root `metadata` excluded: see validateObjectMeta). */
  unknownFields(obj: Record<string, unknown>): string[];
  /** Schema errors: types, required fields, enums, formats, patterns, bounds, duplicate list entries. */
  validate(obj: Record<string, unknown>): Cause[];
}

// ---------------------------------------------------------------------------------------------------------
// Names (k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Total bytes of all annotation keys and values. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;
/** Characters the server appends to metadata.generateName. */
export const GENERATED_NAME_SUFFIX_LENGTH = 5;

export const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);
export const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
export const QUALIFIED_NAME = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
export const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FMT}$`);

const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
  + `start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '${DNS1123_LABEL_FMT}')`;
const DNS1123_SUBDOMAIN_MSG = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '
  + "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
  + `validation is '${DNS1123_SUBDOMAIN_FMT}')`;
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
  + `alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '${QUALIFIED_NAME_FMT}')`;
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
  + "and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used "
  + `for validation is '${LABEL_VALUE_FMT}')`;

interface NameProblem {
  tooLong?: number;
  message: string;
}

function dns1123LabelProblems(v: string): NameProblem[] {
  const out: NameProblem[] = [];
  if (v.length > DNS1123_LABEL_MAX_LENGTH) out.push({ tooLong: DNS1123_LABEL_MAX_LENGTH, message: `must be no more than ${DNS1123_LABEL_MAX_LENGTH} characters` });
  if (!DNS1123_LABEL.test(v)) out.push({ message: DNS1123_LABEL_MSG });
  return out;
}

function dns1123SubdomainProblems(v: string): NameProblem[] {
  const out: NameProblem[] = [];
  if (v.length > DNS1123_SUBDOMAIN_MAX_LENGTH) out.push({ tooLong: DNS1123_SUBDOMAIN_MAX_LENGTH, message: `must be no more than ${DNS1123_SUBDOMAIN_MAX_LENGTH} characters` });
  if (!DNS1123_SUBDOMAIN.test(v)) out.push({ message: DNS1123_SUBDOMAIN_MSG });
  return out;
}

function qualifiedNameProblems(v: string): NameProblem[] {
  const parts = v.split('/');
  let name: string;
  const out: NameProblem[] = [];
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) out.push({ message: 'prefix part must be non-empty' });
    else for (const p of dns1123SubdomainProblems(prefix)) out.push({ message: `prefix part ${p.message}` });
  } else {
    return [{ message: `a qualified name ${QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')` }];
  }
  if (name.length === 0) out.push({ message: 'name part must be non-empty' });
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) out.push({ message: `name part must be no more than ${QUALIFIED_NAME_MAX_LENGTH} characters` });
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) out.push({ message: `name part ${QUALIFIED_NAME_MSG}` });
  return out;
}

function labelValueProblems(v: string): NameProblem[] {
  const out: NameProblem[] = [];
  if (v.length > LABEL_VALUE_MAX_LENGTH) out.push({ tooLong: LABEL_VALUE_MAX_LENGTH, message: `must be no more than ${LABEL_VALUE_MAX_LENGTH} characters` });
  if (!LABEL_VALUE.test(v)) out.push({ message: LABEL_VALUE_MSG });
  return out;
}

/** A DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending alphanumeric (namespaces). */
export function isDns1123Label(v: string): boolean {
  return dns1123LabelProblems(v).length === 0;
}

/** A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels (object names). */
export function isDns1123Subdomain(v: string): boolean {
  return dns1123SubdomainProblems(v).length === 0;
}

/** A qualified name: an optional DNS subdomain prefix and '/', then a name of ≤ 63 [A-Za-z0-9-_.] (label keys). */
export function isQualifiedName(v: string): boolean {
  return qualifiedNameProblems(v).length === 0;
}

/** A label value: empty, or at most 63 [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function isLabelValue(v: string): boolean {
  return labelValueProblems(v).length === 0;
}

// ---------------------------------------------------------------------------------------------------------
// Formats

const DATE_TIME_TIME = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(z|[+-][0-9]{2}:[0-9]{2})$/;

function isValidDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/**
 * The `date-time` format as the Kubernetes API server checks it (kube-openapi strfmt.IsDateTime): an RFC 3339
 * date and time, `T` or `t` between them, seconds required, optional fraction, `Z`/`z` or a ±hh:mm offset.
 */
export function isRfc3339DateTime(s: string): boolean {
  const t = s.search(/[tT]/);
  if (t < 0) return false;
  if (!isValidDate(s.slice(0, t))) return false;
  const m = DATE_TIME_TIME.exec(s.slice(t + 1).toLowerCase());
  return m !== null && m[1]! <= '23' && m[2]! <= '59' && m[3]! <= '59';
}

/** The `duration` format as Kubernetes reads it: Go durations (90m, 1h30m, 1.5s), also with d and w units. */
const DURATION = /^([0-9]+(\.[0-9]+)?\s*(ns|us|µs|ms|s|m|h|d|w))+$/;

// ---------------------------------------------------------------------------------------------------------
// Schema validation with ajv

/** Keywords of CRD schemas that carry no validation ajv must perform (annotations for ajv). */
const ANNOTATION_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
  'example',
  'externalDocs',
];

let sharedAjv: Ajv | undefined;

function getAjv(): Ajv {
  if (sharedAjv) return sharedAjv;
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: false,
    // Strict about the schema itself (an unknown keyword is a mistake), lenient about type unions and tuples,
    // which structural schemas do not use.
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  });
  addFormats.default(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  ajv.addFormat('datetime', { type: 'string', validate: isRfc3339DateTime });
  ajv.addFormat('duration', { type: 'string', validate: (s: string) => DURATION.test(s) });
  ajv.addVocabulary(ANNOTATION_KEYWORDS);
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    validate: (on: boolean, data: unknown) => !on || typeof data === 'string' || Number.isInteger(data),
  });
  sharedAjv = ajv;
  return ajv;
}

/**
 * The schema as ajv reads it: draft-4 boolean exclusiveMinimum/exclusiveMaximum (which CRDs use) become draft-7
 * numbers, nullable without a type is dropped, and formats ajv does not know are registered as unchecked, as
 * Kubernetes ignores unknown formats.
 */
function toAjvSchema(ajv: Ajv, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toAjvSchema(ajv, s));
  if (!isPlainObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'default' || k === 'enum' || k === 'example') out[k] = v;
    else if (k === 'properties' && isPlainObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toAjvSchema(ajv, s)]));
    } else out[k] = toAjvSchema(ajv, v);
  }
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] && typeof out[bound] === 'number') {
        out[flag] = out[bound];
        delete out[bound];
      } else delete out[flag];
    }
  }
  // ajv refuses nullable without type; with no type every value, null included, is valid anyway.
  if (out['nullable'] !== undefined && out['type'] === undefined) delete out['nullable'];
  if (typeof out['format'] === 'string' && !ajv.formats[out['format']]) ajv.addFormat(out['format'], true);
  return out;
}

const compiled = new WeakMap<JSONSchemaProps, ValidateFunction>();

function compile(schema: JSONSchemaProps): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    const ajv = getAjv();
    fn = ajv.compile(toAjvSchema(ajv, schema) as object);
    compiled.set(schema, fn);
  }
  return fn;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** A value as error messages show it: JSON, cut at 80 characters. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** JSON with sorted keys, to compare values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const childPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const entryPath = (path: string, key: string): string => `${path}[${key}]`;

function propertySchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  return s?.properties && has(s.properties, key) ? s.properties[key] : undefined;
}

function mapValueSchema(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  return typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined;
}

/** Turns an ajv instancePath (JSON pointer) into a Kubernetes field path, walking the data and schema along. */
function fieldPathOf(pointer: string, data: unknown, schema: JSONSchemaProps | undefined): { path: string; value: unknown; schema: JSONSchemaProps | undefined } {
  let path = '';
  let value = data;
  let s = schema;
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const seg of segments) {
    if (Array.isArray(value)) {
      path = entryPath(path, seg);
      value = value[Number(seg)];
      s = s?.items;
    } else {
      const prop = propertySchema(s, seg);
      const mapValue = prop ? undefined : mapValueSchema(s);
      path = mapValue ? entryPath(path, seg) : childPath(path, seg);
      value = isPlainObject(value) ? value[seg] : undefined;
      s = prop ?? mapValue;
    }
  }
  return { path, value, schema: s };
}

/**
 * Kubernetes' wording for a value outside a schema bound (pattern, lengths, ranges, item and property counts,
 * multipleOf), shared by object validation here and preset params in the controller. Undefined for any
 * other keyword. A too-long string is its own reason; the rest are details of an "Invalid value" message.
 */
export function boundViolation(keyword: string, p: Record<string, unknown>): { tooLong: string } | { detail: string } | undefined {
  const limit = String(p['limit']);
  switch (keyword) {
    case 'pattern':
      return { detail: `must match the regular expression '${String(p['pattern'])}'` };
    case 'maxLength':
      return { tooLong: `Too long: may not be more than ${limit} characters` };
    case 'minLength':
      return { detail: `must be at least ${limit} characters long` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words = { minimum: 'greater than or equal to', maximum: 'less than or equal to', exclusiveMinimum: 'greater than', exclusiveMaximum: 'less than' }[keyword];
      return { detail: `must be ${words} ${limit}` };
    }
    case 'minItems':
      return { detail: `must have at least ${limit} items` };
    case 'maxItems':
      return { detail: `must have at most ${limit} items` };
    case 'minProperties':
      return { detail: `must have at least ${limit} properties` };
    case 'maxProperties':
      return { detail: `must have at most ${limit} properties` };
    case 'multipleOf':
      return { detail: `must be a multiple of ${String(p['multipleOf'])}` };
    default:
      return undefined;
  }
}

function causeOf(err: ErrorObject, data: unknown, schema: JSONSchemaProps): Cause {
  const at = fieldPathOf(err.instancePath, data, schema);
  const field = at.path || '(root)';
  const p = err.params as Record<string, unknown>;
  const invalid = (detail: string): Cause => ({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(at.value)}: ${detail}` });
  switch (err.keyword) {
    case 'required': {
      return { field: childPath(at.path, String(p['missingProperty'])), reason: 'FieldValueRequired', message: 'Required value' };
    }
    case 'type': {
      const expected = Array.isArray(p['type']) ? (p['type'] as string[]).join(' or ') : String(p['type']);
      return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(at.value)}": must be of type ${expected}` };
    }
    case 'x-kubernetes-int-or-string':
      return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(at.value)}": must be of type integer or string` };
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(at.value)}: supported values: ${allowed}` };
    }
    case 'format': {
      const format = String(p['format']);
      if (format === 'date-time' || format === 'datetime') return invalid('must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)');
      return invalid(`must be a valid ${format}`);
    }
    default: {
      const bound = boundViolation(err.keyword, p);
      if (bound) return 'tooLong' in bound ? { field, reason: 'FieldValueTooLong', message: bound.tooLong } : invalid(bound.detail);
      return invalid(err.message ?? `fails ${err.keyword}`);
    }
  }
}

/** Entries repeated in lists declared x-kubernetes-list-type set (whole value) or map (the key fields). */
function collectDuplicates(value: unknown, s: JSONSchemaProps | undefined, path: string, out: Cause[]): void {
  if (!s) return;
  if (Array.isArray(value)) {
    const listType = s['x-kubernetes-list-type'];
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    if (listType === 'set' || (listType === 'map' && keys.length > 0)) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const id = listType === 'set' ? item : isPlainObject(item) ? Object.fromEntries(keys.map((k) => [k, item[k]])) : item;
        const c = canonical(id);
        if (seen.has(c)) out.push({ field: entryPath(path, String(i)), reason: 'FieldValueDuplicate', message: `Duplicate value: ${show(id)}` });
        seen.add(c);
      });
    }
    value.forEach((item, i) => collectDuplicates(item, s.items, entryPath(path, String(i)), out));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const prop = propertySchema(s, k);
      if (prop) collectDuplicates(v, prop, childPath(path, k), out);
      else if (mapValueSchema(s)) collectDuplicates(v, mapValueSchema(s), entryPath(path, k), out);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Defaulting and unknown fields

function applyDefaultsTo(x: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (isPlainObject(x)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!has(x, k) || (x[k] === null && !prop.nullable)) x[k] = structuredClone(prop.default);
    }
    for (const k of Object.keys(x)) {
      const sub = propertySchema(s, k) ?? mapValueSchema(s);
      if (!sub) continue;
      if (x[k] === null && !sub.nullable) {
        if (sub.default === undefined) {
          delete x[k];
          continue;
        }
        x[k] = structuredClone(sub.default);
      }
      applyDefaultsTo(x[k], sub);
    }
  } else if (Array.isArray(x) && s.items) {
    const items = s.items;
    x.forEach((item, i) => {
      if (item === null && !items.nullable && items.default !== undefined) x[i] = structuredClone(items.default);
      applyDefaultsTo(x[i], items);
    });
  }
}

function isObjectSchema(s: JSONSchemaProps): boolean {
  return s.type === 'object' || (s.type === undefined && (s.properties !== undefined || s.additionalProperties !== undefined));
}

function collectUnknown(value: unknown, s: JSONSchemaProps | undefined, path: string, out: string[], root: boolean): void {
  if (!s) return;
  if (isPlainObject(value) && isObjectSchema(s)) {
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    const mapValue = mapValueSchema(s);
    for (const [k, v] of Object.entries(value)) {
      if ((root || embedded) && k === 'metadata') continue;
      const prop = propertySchema(s, k);
      if (prop) collectUnknown(v, prop, childPath(path, k), out, false);
      else if (mapValue) collectUnknown(v, mapValue, entryPath(path, k), out, false);
      else if (!(preserve || s.additionalProperties === true || (embedded && (k === 'apiVersion' || k === 'kind')))) out.push(childPath(path, k));
    }
  } else if (Array.isArray(value) && s.type === 'array') {
    value.forEach((item, i) => collectUnknown(item, s.items, entryPath(path, String(i)), out, false));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The validator of a kind

const validators = new WeakMap<ResourceDef, ResourceValidator>();

/** The validator of a kind; its ajv function is compiled on first use and cached. */
export function createValidator(def: ResourceDef): ResourceValidator {
  const cached = validators.get(def);
  if (cached) return cached;
  const validator: ResourceValidator = {
    def,
    applyDefaults(obj) {
      applyDefaultsTo(obj, def.schema);
    },
    unknownFields(obj) {
      const out: string[] = [];
      collectUnknown(obj, def.schema, '', out, true);
      return out;
    },
    validate(obj) {
      const fn = compile(def.schema);
      const causes: Cause[] = [];
      if (!fn(obj)) for (const err of fn.errors ?? []) causes.push(causeOf(err, obj, def.schema));
      collectDuplicates(obj, def.schema, '', causes);
      const seen = new Set<string>();
      return causes.filter((c) => {
        const id = `${c.field}\u0000${c.reason}\u0000${c.message}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    },
  };
  validators.set(def, validator);
  return validator;
}

/** Causes for the paths unknownFields returns, for a request made with fieldValidation=Strict. */
export function unknownFieldCauses(paths: readonly string[]): Cause[] {
  return paths.map((field) => ({ field, reason: 'FieldValueUnknown', message: 'field not declared in schema' }));
}

// ---------------------------------------------------------------------------------------------------------
// ObjectMeta

export interface ObjectMetaOptions {
  /** Whether the kind is namespaced (metadata.namespace required) or cluster-scoped (forbidden). */
  namespaced: boolean;
  /** On create, generateName may stand in for name. */
  isCreate: boolean;
  /** Names must be DNS-1123 labels (no dots, 63 characters), as for Namespaces; otherwise subdomains. */
  labelNames?: boolean;
}

/**
 * The rules of ObjectMeta the API server enforces: name (a DNS-1123 subdomain) or, on create, generateName;
 * namespace (a DNS-1123 label) for namespaced kinds only; label keys and values; annotation keys and total
 * size; finalizers; owner references; and the types of the other known fields. Unknown metadata fields are the
 * caller's business. A null field counts as absent (kubectl writes `creationTimestamp: null`).
 */
export function validateObjectMeta(meta: unknown, opts: ObjectMetaOptions): Cause[] {
  const causes: Cause[] = [];
  const nameRule = opts.labelNames ? dns1123LabelProblems : dns1123SubdomainProblems;
  if (meta === undefined || meta === null) meta = {};
  if (!isPlainObject(meta)) {
    return [{ field: 'metadata', reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(meta)}": must be of type object` }];
  }
  const m = meta;
  const present = (k: string): boolean => m[k] !== undefined && m[k] !== null;
  const typeInvalid = (field: string, value: unknown, expected: string): void => {
    causes.push({ field, reason: 'FieldValueTypeInvalid', message: `Invalid value: "${jsonType(value)}": must be of type ${expected}` });
  };
  const nameProblems = (field: string, value: string, problems: NameProblem[]): void => {
    for (const p of problems) {
      causes.push(p.tooLong !== undefined
        ? { field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${p.tooLong} characters` }
        : { field, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${p.message}` });
    }
  };
  const checkString = (k: string): string | undefined => {
    if (!present(k)) return undefined;
    if (typeof m[k] !== 'string') {
      typeInvalid(`metadata.${k}`, m[k], 'string');
      return undefined;
    }
    return m[k];
  };

  // name and generateName
  const nameIsString = !present('name') || typeof m['name'] === 'string';
  const name = checkString('name');
  const generateName = checkString('generateName');
  if (nameIsString && !name) {
    if (!(opts.isCreate && generateName)) {
      causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: opts.isCreate ? 'Required value: name or generateName is required' : 'Required value: name is required' });
    }
  } else if (name) {
    nameProblems('metadata.name', name, nameRule(name));
  }
  if (generateName) {
    // The name the server will make: the prefix plus a suffix of lowercase alphanumerics.
    const problems = nameRule(generateName + 'x'.repeat(GENERATED_NAME_SUFFIX_LENGTH))
      .map((p) => (p.tooLong ? { ...p, tooLong: p.tooLong - GENERATED_NAME_SUFFIX_LENGTH } : p));
    nameProblems('metadata.generateName', generateName, problems);
  }

  // namespace
  const namespaceIsString = !present('namespace') || typeof m['namespace'] === 'string';
  const namespace = checkString('namespace');
  if (opts.namespaced) {
    if (namespaceIsString && !namespace) causes.push({ field: 'metadata.namespace', reason: 'FieldValueRequired', message: 'Required value' });
    else if (namespace) nameProblems('metadata.namespace', namespace, dns1123LabelProblems(namespace));
  } else if (namespace) {
    causes.push({ field: 'metadata.namespace', reason: 'FieldValueForbidden', message: 'Forbidden: not allowed on this type' });
  }

  // labels
  if (present('labels')) {
    const labels = m['labels'];
    if (!isPlainObject(labels)) typeInvalid('metadata.labels', labels, 'object');
    else {
      for (const [k, v] of Object.entries(labels)) {
        nameProblems('metadata.labels', k, qualifiedNameProblems(k));
        if (typeof v !== 'string') typeInvalid(entryPath('metadata.labels', k), v, 'string');
        else nameProblems(entryPath('metadata.labels', k), v, labelValueProblems(v));
      }
    }
  }

  // annotations
  if (present('annotations')) {
    const annotations = m['annotations'];
    if (!isPlainObject(annotations)) typeInvalid('metadata.annotations', annotations, 'object');
    else {
      let bytes = 0;
      for (const [k, v] of Object.entries(annotations)) {
        nameProblems('metadata.annotations', k, qualifiedNameProblems(k.toLowerCase()));
        if (typeof v !== 'string') typeInvalid(entryPath('metadata.annotations', k), v, 'string');
        bytes += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
      }
      if (bytes > ANNOTATIONS_MAX_BYTES) {
        causes.push({ field: 'metadata.annotations', reason: 'FieldValueTooLong', message: `Too long: may not be more than ${ANNOTATIONS_MAX_BYTES} bytes` });
      }
    }
  }

  // finalizers
  if (present('finalizers')) {
    const finalizers = m['finalizers'];
    if (!Array.isArray(finalizers)) typeInvalid('metadata.finalizers', finalizers, 'array');
    else {
      const seen = new Set<string>();
      finalizers.forEach((f: unknown, i) => {
        const field = entryPath('metadata.finalizers', String(i));
        if (typeof f !== 'string') return typeInvalid(field, f, 'string');
        nameProblems(field, f, qualifiedNameProblems(f));
        if (seen.has(f)) causes.push({ field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${show(f)}` });
        seen.add(f);
      });
    }
  }

  // owner references
  if (present('ownerReferences')) {
    const refs = m['ownerReferences'];
    if (!Array.isArray(refs)) typeInvalid('metadata.ownerReferences', refs, 'array');
    else {
      let controllers = 0;
      refs.forEach((ref: unknown, i) => {
        const at = entryPath('metadata.ownerReferences', String(i));
        if (!isPlainObject(ref)) return typeInvalid(at, ref, 'object');
        for (const k of ['apiVersion', 'kind', 'name', 'uid']) {
          const v = ref[k];
          if (v === undefined || v === null || v === '') causes.push({ field: `${at}.${k}`, reason: 'FieldValueRequired', message: 'Required value' });
          else if (typeof v !== 'string') typeInvalid(`${at}.${k}`, v, 'string');
        }
        for (const k of ['controller', 'blockOwnerDeletion']) {
          const v = ref[k];
          if (v !== undefined && v !== null && typeof v !== 'boolean') typeInvalid(`${at}.${k}`, v, 'boolean');
        }
        if (ref['controller'] === true) controllers++;
      });
      if (controllers > 1) {
        causes.push({ field: 'metadata.ownerReferences', reason: 'FieldValueInvalid', message: 'Invalid value: only one reference can have controller set to true' });
      }
    }
  }

  // the other known fields: types only
  for (const k of ['uid', 'resourceVersion']) checkString(k);
  for (const k of ['creationTimestamp', 'deletionTimestamp']) {
    const v = checkString(k);
    if (v !== undefined && !isRfc3339DateTime(v)) {
      causes.push({ field: `metadata.${k}`, reason: 'FieldValueInvalid', message: `Invalid value: ${show(v)}: must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)` });
    }
  }
  for (const k of ['generation', 'deletionGracePeriodSeconds']) {
    if (!present(k)) continue;
    const v = m[k];
    if (!Number.isInteger(v)) typeInvalid(`metadata.${k}`, v, 'integer');
    else if ((v as number) < 0) causes.push({ field: `metadata.${k}`, reason: 'FieldValueInvalid', message: `Invalid value: ${show(v)}: must be greater than or equal to 0` });
  }
  if (present('managedFields')) {
    const mf = m['managedFields'];
    if (!Array.isArray(mf)) typeInvalid('metadata.managedFields', mf, 'array');
    else mf.forEach((e: unknown, i) => {
      if (!isPlainObject(e)) typeInvalid(entryPath('metadata.managedFields', String(i)), e, 'object');
    });
  }
  return causes;
}
