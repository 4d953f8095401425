// Server-side printing: the meta.k8s.io Table that `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...`, built from a kind's printer columns as
// the apiextensions-apiserver's table convertor builds it for custom resources.
//
// Date cells: kube-apiserver converts `date` columns to an age ("5m", "3d4h") before sending them;
// kubectl 1.32 prints string cells verbatim and does NOT turn timestamps into ages. So date cells
// default to ages computed at `opts.now`; `dates: 'timestamp'` sends RFC 3339 strings instead (what
// `kubectl get crd` shows under CREATED AT).
import type { PrinterColumn, ResourceDef } from '@hyprbox/crds';
import { CREATION_TIMESTAMP_DESCRIPTION, NAME_DESCRIPTION } from './openapi-meta.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';
export type TableApiVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  /** PartialObjectMetadata (includeObject=Metadata), the object (Object), or absent (None). */
  object?: Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: TableApiVersion;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** What each row's `object` holds; default Metadata (as kube-apiserver). */
  includeObject?: IncludeObject;
  /** The list's metadata, copied to the Table's. */
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** meta.k8s.io/v1 (default) or meta.k8s.io/v1beta1, as the client accepted (see parseAccept). */
  apiVersion?: TableApiVersion;
  /** The time ages are computed at (default: now). */
  now?: Date | number;
  /** `age` (default, as kube-apiserver): date cells are ages; `timestamp`: RFC 3339 strings. */
  dates?: 'age' | 'timestamp';
}

export interface WatchTableOptions extends TableOptions {
  /** Whether to send columnDefinitions; k8s sends them in the first event of a watch only. Default true. */
  includeColumns?: boolean;
}

/** The printer columns of core/v1 Namespace, for toTable({printerColumns: NAMESPACE_PRINTER_COLUMNS}, ...). */
export const NAMESPACE_PRINTER_COLUMNS: PrinterColumn[] = [
  { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'The status of the namespace' },
];

/** The printer columns of CustomResourceDefinition (`kubectl get crd`: NAME, CREATED AT; use dates: 'timestamp'). */
export const CRD_PRINTER_COLUMNS: PrinterColumn[] = [
  { name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DESCRIPTION },
];

// ---------------------------------------------------------------------------------------------
// JSONPath (the subset of k8s.io/client-go/util/jsonpath that printer columns use)

export class JSONPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JSONPathError';
  }
}

type Literal = string | number | boolean | null;
type Operand = { t: 'path'; root: '@' | '$'; steps: Step[] } | { t: 'lit'; v: Literal };
type FilterOp = '==' | '!=' | '<' | '>' | '<=' | '>=';
type Step =
  | { t: 'field'; names: string[] }
  | { t: 'recursive' }
  | { t: 'wildcard' }
  | { t: 'index'; i: number }
  | { t: 'slice'; start?: number; end?: number; step?: number }
  | { t: 'filter'; left: Operand; op?: FilterOp; right?: Operand };

/** A parsed JSONPath expression; evaluate with evaluateJSONPath. */
export interface CompiledJSONPath {
  source: string;
  steps: Step[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function findClosing(s: string, from: number, open: string, close: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === open) depth++;
    else if (c === close) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function unquote(s: string): string | undefined {
  const q = s[0];
  if ((q !== '"' && q !== "'") || s.length < 2 || s[s.length - 1] !== q) return undefined;
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

function parseSteps(src: string, text: string): Step[] {
  const fail = (why: string): never => {
    throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: ${why}`);
  };
  const steps: Step[] = [];
  let i = 0;
  const readName = (): string => {
    let name = '';
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '\\' && i + 1 < text.length) {
        name += text[i + 1];
        i += 2;
        continue;
      }
      if (c === '.' || c === '[' || c === ']' || c === '(' || c === ')' || /\s/.test(c)) break;
      name += c;
      i++;
    }
    return name;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (text.startsWith('..', i)) {
      i += 2;
      steps.push({ t: 'recursive' });
      if (text[i] === '*') {
        i++;
        steps.push({ t: 'wildcard' });
      } else if (text[i] !== '[') {
        const name = readName();
        if (name === '') fail(`expected a field name after '..' at ${i}`);
        steps.push({ t: 'field', names: [name] });
      }
    } else if (c === '.') {
      i++;
      if (text[i] === '*') {
        i++;
        steps.push({ t: 'wildcard' });
      } else {
        const name = readName();
        if (name === '') fail(`expected a field name after '.' at ${i}`);
        steps.push({ t: 'field', names: [name] });
      }
    } else if (c === '[') {
      const end = findClosing(text, i, '[', ']');
      if (end < 0) fail(`unclosed '[' at ${i}`);
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') {
        steps.push({ t: 'wildcard' });
      } else if (inner.startsWith('?')) {
        const expr = inner.slice(1).trim();
        if (!expr.startsWith('(') || !expr.endsWith(')')) fail(`filter must be written [?(...)]: [${inner}]`);
        steps.push(parseFilter(src, expr.slice(1, -1)));
      } else if (/^-?\d+$/.test(inner)) {
        steps.push({ t: 'index', i: Number(inner) });
      } else if (/^(-?\d+)?:(-?\d+)?(:(-?\d+)?)?$/.test(inner)) {
        const [a, b, c2] = inner.split(':');
        const num = (x: string | undefined): number | undefined => (x === undefined || x === '' ? undefined : Number(x));
        const step = num(c2);
        if (step !== undefined && step <= 0) fail('slice step must be > 0');
        steps.push({ t: 'slice', start: num(a), end: num(b), step });
      } else {
        const names = inner.split(',').map((part) => unquote(part.trim()));
        if (names.some((n) => n === undefined)) fail(`unsupported subscript [${inner}]`);
        steps.push({ t: 'field', names: names as string[] });
      }
    } else if (/\s/.test(c)) {
      i++;
    } else {
      fail(`unexpected ${JSON.stringify(c)} at ${i}`);
    }
  }
  return steps;
}

function parseOperand(src: string, text: string): Operand {
  const s = text.trim();
  if (s.startsWith('@') || s.startsWith('$')) return { t: 'path', root: s[0] as '@' | '$', steps: parseSteps(src, s.slice(1)) };
  const str = unquote(s);
  if (str !== undefined) return { t: 'lit', v: str };
  if (s === 'true' || s === 'false') return { t: 'lit', v: s === 'true' };
  if (s === 'null') return { t: 'lit', v: null };
  if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { t: 'lit', v: Number(s) };
  throw new JSONPathError(`invalid JSONPath ${JSON.stringify(src)}: cannot understand filter operand ${JSON.stringify(s)}`);
}

function parseFilter(src: string, expr: string): Step {
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    const two = expr.slice(i, i + 2);
    let op: FilterOp | undefined;
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') op = two;
    else if (c === '<' || c === '>') op = c;
    if (op) {
      return { t: 'filter', left: parseOperand(src, expr.slice(0, i)), op, right: parseOperand(src, expr.slice(i + op.length)) };
    }
  }
  return { t: 'filter', left: parseOperand(src, expr) };
}

const compiledCache = new Map<string, CompiledJSONPath>();

/**
 * Parses a JSONPath as printer columns write it: `.a.b`, `.a[0]`, `.a[-1]`, `.a[1:3]`, `.a[*].b`,
 * `.a.*`, `..b`, `.a['b.c']`, `.a.b\.c`, `.a[?(@.type=="Ready")].status`, `[?(@.n > 1)]`, `[?(@.x)]`;
 * optionally wrapped in `{}` and/or starting with `$`. Throws JSONPathError.
 */
export function compileJSONPath(path: string): CompiledJSONPath {
  const hit = compiledCache.get(path);
  if (hit) return hit;
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  if (text !== '' && !text.startsWith('.') && !text.startsWith('[')) {
    throw new JSONPathError(`invalid JSONPath ${JSON.stringify(path)}: must start with '.', '[' or '$'`);
  }
  const compiled = { source: path, steps: parseSteps(path, text) };
  if (compiledCache.size > 1000) compiledCache.clear();
  compiledCache.set(path, compiled);
  return compiled;
}

class IncomparableError extends Error {}

function compare(a: unknown, op: FilterOp, b: unknown): boolean {
  const ta = a === null ? 'null' : typeof a;
  const tb = b === null ? 'null' : typeof b;
  if (ta !== tb || !['string', 'number', 'boolean'].includes(ta)) throw new IncomparableError();
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
  if (ta === 'boolean') throw new IncomparableError();
  const x = a as string | number;
  const y = b as string | number;
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    case '>=':
      return x >= y;
  }
  return false;
}

function evalOperand(o: Operand, current: unknown, root: unknown): unknown[] {
  if (o.t === 'lit') return [o.v];
  return evalSteps([o.root === '@' ? current : root], o.steps, root);
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isObject(v)) for (const x of Object.values(v)) descendants(x, out);
}

function evalSteps(start: unknown[], steps: Step[], root: unknown): unknown[] {
  let nodes = start;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const n of nodes) {
      switch (step.t) {
        case 'field':
          if (isObject(n)) for (const name of step.names) if (Object.prototype.hasOwnProperty.call(n, name)) next.push(n[name]);
          break;
        case 'recursive':
          descendants(n, next);
          break;
        case 'wildcard':
          if (Array.isArray(n)) next.push(...n);
          else if (isObject(n)) next.push(...Object.values(n));
          break;
        case 'index':
          if (Array.isArray(n)) {
            const i = step.i < 0 ? step.i + n.length : step.i;
            if (i >= 0 && i < n.length) next.push(n[i]);
          }
          break;
        case 'slice':
          if (Array.isArray(n)) {
            const len = n.length;
            const norm = (x: number | undefined, dflt: number): number => (x === undefined ? dflt : Math.min(Math.max(x < 0 ? x + len : x, 0), len));
            for (let i = norm(step.start, 0); i < norm(step.end, len); i += step.step ?? 1) next.push(n[i]);
          }
          break;
        case 'filter':
          if (Array.isArray(n)) {
            for (const el of n) {
              const lefts = evalOperand(step.left, el, root);
              if (step.op === undefined || step.right === undefined) {
                if (lefts.length > 0) next.push(el);
                continue;
              }
              if (lefts.length === 0) continue;
              if (lefts.length > 1) throw new IncomparableError();
              const rights = evalOperand(step.right, el, root);
              if (rights.length === 0) continue;
              if (rights.length > 1) throw new IncomparableError();
              if (compare(lefts[0], step.op, rights[0])) next.push(el);
            }
          }
          break;
      }
    }
    nodes = next;
  }
  return nodes;
}

/**
 * All values a JSONPath selects in `obj`, in document order; [] when nothing matches (missing keys are
 * not errors) or when a filter compares values of different types (an error in k8s, which yields an
 * empty cell too).
 */
export function evaluateJSONPath(path: string | CompiledJSONPath, obj: unknown): unknown[] {
  const compiled = typeof path === 'string' ? compileJSONPath(path) : path;
  try {
    return evalSteps([obj], compiled.steps, obj);
  } catch (e) {
    if (e instanceof IncomparableError) return [];
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Cells

/** k8s.io/apimachinery duration.HumanDuration: the age format of `kubectl get` ("45s", "5m3s", "3d4h"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Go's zero time.Time, which metav1.Time prints as null and tables as '<unknown>'. */
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** A `date` cell: an age at `now` (or the RFC 3339 UTC timestamp), '<invalid>' if unparseable. */
function dateCell(v: string, now: number, dates: 'age' | 'timestamp'): string {
  const t = RFC3339.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(t)) return '<invalid>';
  if (dates === 'timestamp') return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (t === GO_ZERO_TIME) return '<unknown>';
  return humanDuration(now - t);
}

/**
 * How k8s prints a number in a string column: integers in decimal (JSON integers decode to int64), other
 * values as Go's %v of a float64 (strconv 'g', shortest): exponent form when the exponent is < -4 or >= 6.
 */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const [mantissa = '', expStr = '0'] = n.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return String(n);
}

/** Go's json.Marshal of decoded JSON: map keys sorted, <, >, & and U+2028/9 escaped. */
function goJSON(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (isObject(x)) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted(x[k])]));
    return x;
  };
  return JSON.stringify(sorted(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The cell of one printer column for the first value its JSONPath selects (null when none). */
function cellFor(type: string, values: unknown[], now: number, dates: 'age' | 'timestamp'): unknown {
  if (values.length === 0) return null;
  const v = values[0];
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return goNumber(v);
      if (typeof v === 'boolean') return String(v);
      return goJSON(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      return typeof v === 'string' ? dateCell(v, now, dates) : null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Tables

const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATION_TIMESTAMP_DESCRIPTION };

function coversCreationTimestamp(c: PrinterColumn): boolean {
  try {
    const { steps } = compileJSONPath(c.jsonPath);
    return (
      steps.length === 2 &&
      steps.every((s) => s.t === 'field' && s.names.length === 1) &&
      (steps[0] as { names: string[] }).names[0] === 'metadata' &&
      (steps[1] as { names: string[] }).names[0] === 'creationTimestamp'
    );
  } catch {
    return false;
  }
}

/** The printer columns a Table shows after Name: the kind's, then Age unless one already shows creationTimestamp. */
function effectiveColumns(def: Pick<ResourceDef, 'printerColumns'>): PrinterColumn[] {
  const cols = [...def.printerColumns];
  if (!cols.some(coversCreationTimestamp)) cols.push(AGE_COLUMN);
  return cols;
}

/** The Table's columnDefinitions: Name, the printer columns (priority kept), Age. */
export function tableColumns(def: Pick<ResourceDef, 'printerColumns'>): TableColumnDefinition[] {
  return [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
    ...effectiveColumns(def).map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
}

function rowsFor(def: Pick<ResourceDef, 'printerColumns'>, items: object[], opts: TableOptions): TableRow[] {
  const cols = effectiveColumns(def).map((c) => ({ type: c.type, path: compileJSONPath(c.jsonPath) }));
  const now = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const dates = opts.dates ?? 'age';
  const include = opts.includeObject ?? 'Metadata';
  const partialApiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  return items.map((item) => {
    const obj = item as Record<string, unknown>;
    const metadata = isObject(obj.metadata) ? obj.metadata : {};
    const cells: unknown[] = [typeof metadata.name === 'string' ? metadata.name : ''];
    for (const c of cols) cells.push(cellFor(c.type, evaluateJSONPath(c.path, obj), now, dates));
    const row: TableRow = { cells };
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: partialApiVersion, metadata: { ...metadata } };
    return row;
  });
}

function tableMeta(m: TableOptions['listMeta']): Table['metadata'] {
  const out: Table['metadata'] = {};
  if (m?.resourceVersion !== undefined) out.resourceVersion = m.resourceVersion;
  if (m?.continue !== undefined && m.continue !== '') out.continue = m.continue;
  if (m?.remainingItemCount !== undefined) out.remainingItemCount = m.remainingItemCount;
  return out;
}

/** The Table of a list: one row per item, in order. */
export function toTable(def: Pick<ResourceDef, 'printerColumns'>, items: object[], opts: TableOptions = {}): Table {
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion ?? 'meta.k8s.io/v1',
    metadata: tableMeta(opts.listMeta),
    columnDefinitions: tableColumns(def),
    rows: rowsFor(def, items, opts),
  };
}

/**
 * The object of one watch event when the watch asked for as=Table: a one-row Table whose
 * resourceVersion is the object's. k8s sends columnDefinitions in the first event only
 * (includeColumns: false for the others; kubectl reuses the last ones it saw).
 */
export function tableForWatchEvent(def: Pick<ResourceDef, 'printerColumns'>, obj: object, opts: WatchTableOptions = {}): Table {
  const metadata = (obj as { metadata?: { resourceVersion?: unknown } }).metadata;
  const rv = typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion ?? 'meta.k8s.io/v1',
    metadata: tableMeta(opts.listMeta ?? { resourceVersion: rv }),
    columnDefinitions: opts.includeColumns === false ? [] : tableColumns(def),
    rows: rowsFor(def, [obj], opts),
  };
}

/** The object of a BOOKMARK event in an as=Table watch: an empty Table carrying the resourceVersion. */
export function bookmarkTable(resourceVersion: string, apiVersion: TableApiVersion = 'meta.k8s.io/v1'): Table {
  return { kind: 'Table', apiVersion, metadata: { resourceVersion }, columnDefinitions: [], rows: [] };
}

// ---------------------------------------------------------------------------------------------
// Content negotiation

export interface AcceptResult {
  /** False when no entry is something this server produces (answer 406 Not Acceptable). */
  acceptable: boolean;
  /** Answer with a Table (of apiVersion `tableApiVersion`). */
  table: boolean;
  tableApiVersion?: TableApiVersion;
  /** From an `includeObject` media-type parameter, if a client sent one; kubectl sends the `includeObject` query parameter (see parseIncludeObject). */
  includeObject?: IncludeObject;
  /** Answer in YAML (application/yaml) rather than JSON. */
  yaml: boolean;
  /** The media type chosen (`application/json` or `application/yaml`). */
  mediaType: 'application/json' | 'application/yaml';
  /** Answer with metadata only (as=PartialObjectMetadata[List], what metadata informers ask for), in this apiVersion. */
  partial?: TableApiVersion;
}

interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
  index: number;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part, index) => {
      const [mt = '', ...ps] = part.split(';').map((x) => x.trim());
      const [type = '', subtype = ''] = mt.toLowerCase().split('/');
      const params: Record<string, string> = {};
      for (const p of ps) {
        const eq = p.indexOf('=');
        if (eq <= 0) continue;
        params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      }
      const q = params.q === undefined ? 1 : Number(params.q);
      delete params.q;
      return { type, subtype, params, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.type !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
}

const INCLUDE_OBJECT = new Set(['None', 'Metadata', 'Object']);

/**
 * Negotiates the response of a GET from its Accept header, as kube-apiserver does for the media types
 * this server produces: the first acceptable entry (by q, then order) wins; an entry with
 * `as=Table;g=meta.k8s.io;v=v1|v1beta1` asks for a Table; entries asking for other transformations
 * (`as=APIGroupDiscoveryList`, ...) and other types (protobuf, CBOR) are skipped; `as=PartialObjectMetadata`
 * and `as=PartialObjectMetadataList` ask for metadata only. No header, or `*` wildcards: plain JSON.
 */
export function parseAccept(header: string | undefined): AcceptResult {
  const plainJson: AcceptResult = { acceptable: true, table: false, yaml: false, mediaType: 'application/json' };
  if (header === undefined || header.trim() === '') return plainJson;
  for (const r of parseMediaRanges(header)) {
    let mediaType: AcceptResult['mediaType'];
    if (r.type === 'application' && r.subtype === 'json') mediaType = 'application/json';
    else if (r.type === 'application' && r.subtype === 'yaml') mediaType = 'application/yaml';
    else if ((r.type === 'application' || r.type === '*') && r.subtype === '*') mediaType = 'application/json';
    else continue;
    const yaml = mediaType === 'application/yaml';
    const as = r.params.as;
    if (as === undefined) return { acceptable: true, table: false, yaml, mediaType };
    if (r.params.g !== 'meta.k8s.io' || (r.params.v !== 'v1' && r.params.v !== 'v1beta1')) continue;
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      return { acceptable: true, table: false, yaml, mediaType, partial: `meta.k8s.io/${r.params.v}` };
    }
    if (as !== 'Table') continue;
    const result: AcceptResult = { acceptable: true, table: true, tableApiVersion: `meta.k8s.io/${r.params.v}`, yaml, mediaType };
    const io = r.params.includeobject;
    if (io !== undefined && INCLUDE_OBJECT.has(io)) result.includeObject = io as IncludeObject;
    return result;
  }
  return { acceptable: false, table: false, yaml: false, mediaType: 'application/json' };
}

/**
 * The `includeObject` query parameter: undefined when absent; throws on a value other than None,
 * Metadata or Object (answer 400 BadRequest with the message).
 */
export function parseIncludeObject(value: unknown): IncludeObject | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && INCLUDE_OBJECT.has(value)) return value as IncludeObject;
  throw new Error(`includeObject: Unsupported value: ${JSON.stringify(value)}: supported values: "Metadata", "None", "Object"`);
}
