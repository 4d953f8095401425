// The presets catalog: a directory of YAML files holding Preset objects, read strictly (duplicate keys, unknown
// fields, schema errors, a params schema that does not compile, secret params that are not params and empty
// scripts are errors naming the file and line) and synced into the store at controller start: missing presets
// are created, changed ones updated (generation bumped by the usual admission rule), the others left as they
// are, so a re-sync writes nothing. A preset with any error is skipped whole and reported; presets that are
// not in the catalog (an admin's own) are never touched.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { API_VERSION, createValidator, loadResources, validateObjectMeta } from '@hyprbox/crds';
import type { Cause, ResourceDef, ResourceValidator } from '@hyprbox/crds';
import { admitCreate, admitUpdate } from '../api/admission.js';
import type { Obj } from '../api/admission.js';
import { ApiError } from '../api/errors.js';
import type { Repository } from '../api/repository.js';
import { paramsSchemaProblems, specDigest } from './params.js';

/** Label set on every preset the catalog wrote; "false" on a stored preset pins it (the sync leaves it alone). */
export const CATALOG_LABEL = 'hyprbox.io/catalog';
/** Annotation holding the digest (sha256:<hex>) of the spec the catalog wrote. */
export const CATALOG_DIGEST_ANNOTATION = 'hyprbox.io/catalog-digest';

/** Metadata a catalog file may give; the rest is the server's. */
const CATALOG_METADATA = new Set(['name', 'labels', 'annotations']);
const SCRIPT_FIELDS = ['check', 'precheck', 'apply', 'verify', 'rollback'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

let presetDef: ResourceDef | undefined;
function presetValidator(): ResourceValidator {
  presetDef ??= loadResources().find((d) => d.kind === 'Preset');
  if (!presetDef) throw new Error('the Preset kind is missing from the CRD definitions');
  return createValidator(presetDef);
}

// ---------------------------------------------------------------------------------------------------------
// Locations

/** `spec.states[0].with[a.b]` → ['spec', 'states', 0, 'with', 'a.b']. */
function pathSegments(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  let cur = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === '.') {
      if (cur) out.push(cur);
      cur = '';
    } else if (c === '[') {
      if (cur) out.push(cur);
      cur = '';
      const end = field.indexOf(']', i);
      const inner = field.slice(i + 1, end < 0 ? undefined : end);
      out.push(/^[0-9]+$/.test(inner) ? Number(inner) : inner);
      i = end < 0 ? field.length : end;
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** Offset of the deepest node along `path` that exists (the key of a map entry, the item of a list). */
function offsetOf(doc: Document, path: Array<string | number>): number {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number, number, number] } | null)?.range?.[0] ?? doc.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as { range?: [number, number, number] }).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

type Locate = (field: string) => string;

function locator(file: string, doc: Document, lc: LineCounter): Locate {
  return (field) => {
    const { line, col } = lc.linePos(offsetOf(doc, pathSegments(field)));
    return `${file}:${line}:${col}`;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/** One preset read from the catalog, as it would be stored (defaults applied, catalog label and digest set). */
export interface CatalogEntry {
  preset: Obj;
  /** file:line:column of the document. */
  source: string;
}

/** Values YAML can hold and JSON cannot (.inf, .nan, !!binary, !!set, ...), by path. */
function nonJson(v: unknown, path: string, out: string[]): void {
  if (typeof v === 'number' && !Number.isFinite(v)) out.push(path);
  else if (Array.isArray(v)) v.forEach((x, i) => nonJson(x, `${path}[${i}]`, out));
  else if (isPlainObject(v) && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v)) nonJson(x, path ? `${path}.${k}` : k, out);
  } else if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') out.push(path);
}

/** Checks one YAML document; returns the preset to store, or the errors (never both). */
function checkDocument(raw: unknown, at: Locate): { preset?: Obj; errors: string[] } {
  const errors: string[] = [];
  const fail = (field: string, message: string): void => {
    errors.push(`${at(field)}: ${field || '(root)'}: ${message}`);
  };
  if (!isPlainObject(raw)) {
    fail('', 'a catalog document must be a mapping (a Preset object)');
    return { errors };
  }
  if (raw.apiVersion !== API_VERSION) fail('apiVersion', `Unsupported value: ${JSON.stringify(raw.apiVersion ?? null)}: supported values: "${API_VERSION}"`);
  if (raw.kind !== 'Preset') fail('kind', `Unsupported value: ${JSON.stringify(raw.kind ?? null)}: supported values: "Preset"`);
  if (errors.length) return { errors };

  const bad: string[] = [];
  nonJson(raw, '', bad);
  for (const field of bad) fail(field, 'Invalid value: not representable in JSON (no .inf, .nan or tagged binary, set or ordered-map values)');
  if (errors.length) return { errors };

  const report = (causes: readonly Cause[]): void => {
    for (const c of causes) fail(c.field, c.message);
  };
  if (isPlainObject(raw.metadata)) {
    for (const k of Object.keys(raw.metadata)) {
      if (!CATALOG_METADATA.has(k)) fail(`metadata.${k}`, 'Forbidden: a catalog preset gives only metadata.name, labels and annotations');
    }
  }
  report(validateObjectMeta(raw.metadata, { namespaced: false, isCreate: false }));
  if (raw.status !== undefined) fail('status', 'Forbidden: status is written by the controller');
  const v = presetValidator();
  report(v.unknownFields(raw).map((field): Cause => ({ field, reason: 'FieldValueUnknown', message: 'Unknown field: not declared in the Preset schema' })));
  const obj = structuredClone(raw);
  v.applyDefaults(obj);
  report(v.validate(obj).filter((c) => !c.field.startsWith('metadata') && c.field !== 'status' && !c.field.startsWith('status.')));

  const spec = isPlainObject(obj.spec) ? obj.spec : undefined;
  if (spec) {
    for (const p of paramsSchemaProblems(spec.params)) fail(p.field ? `spec.params.${p.field}` : 'spec.params', p.message);
    const declared = isPlainObject(spec.params) && isPlainObject(spec.params.properties) ? spec.params.properties : {};
    if (Array.isArray(spec.secretParams)) {
      spec.secretParams.forEach((name: unknown, i) => {
        if (typeof name === 'string' && !Object.prototype.hasOwnProperty.call(declared, name)) {
          fail(`spec.secretParams[${i}]`, `Invalid value: ${JSON.stringify(name)}: not a parameter of the preset (spec.params.properties has no ${name})`);
        }
      });
    }
    for (const step of SCRIPT_FIELDS) {
      const s = spec[step];
      if (isPlainObject(s) && typeof s.script === 'string' && s.script.trim() === '') fail(`spec.${step}.script`, 'Required value: the script is empty');
    }
  }
  if (errors.length) return { errors };

  const meta = raw.metadata as { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // A JSON round trip: what is compared with the store is exactly what the store gives back.
  const normalizedSpec = JSON.parse(JSON.stringify(obj.spec)) as Record<string, unknown>;
  const preset: Obj = {
    apiVersion: API_VERSION,
    kind: 'Preset',
    metadata: {
      name: meta.name,
      labels: { ...(meta.labels ?? {}), [CATALOG_LABEL]: 'true' },
      annotations: { ...(meta.annotations ?? {}), [CATALOG_DIGEST_ANNOTATION]: specDigest(normalizedSpec) },
    },
    spec: normalizedSpec,
  };
  return { preset, errors };
}

/** First line of a yaml error, without the "at line L, column C" the location already gives. */
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

async function readFileEntries(file: string): Promise<{ entries: CatalogEntry[]; errors: string[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { entries: [], errors: [`${file}: cannot read: ${(err as Error).message}`] };
  }
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lc, strict: true });
  const all = Array.isArray(docs) ? docs : [];
  // A syntax error anywhere makes the whole file suspect (where one document ends is part of the syntax).
  const syntax = all.flatMap((d) => [...d.errors, ...d.warnings]).map((e) => {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    return `${file}:${pos.line}:${pos.col}: ${yamlMessage(e.message)}`;
  });
  if (syntax.length) return { entries: [], errors: syntax };
  const entries: CatalogEntry[] = [];
  const errors: string[] = [];
  for (const doc of all) {
    const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (raw === null || raw === undefined) continue; // an empty document (comments only, a trailing ---)
    const at = locator(file, doc, lc);
    const r = checkDocument(raw, at);
    errors.push(...r.errors);
    if (r.preset) entries.push({ preset: r.preset, source: at('') });
  }
  return { entries, errors };
}

/** Every catalog entry of `dir`, in file order; entries with errors (and duplicated names) are left out. */
export async function readCatalog(dir: string): Promise<{ entries: CatalogEntry[]; errors: string[] }> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => (d.isFile() || d.isSymbolicLink()) && d.name.endsWith('.yaml') && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    return { entries: [], errors: [`${dir}: cannot read the catalog directory: ${(err as Error).message}`] };
  }
  const entries: CatalogEntry[] = [];
  const errors: string[] = [];
  for (const name of names) {
    const r = await readFileEntries(join(dir, name));
    entries.push(...r.entries);
    errors.push(...r.errors);
  }
  const byName = new Map<string, CatalogEntry[]>();
  for (const e of entries) {
    const list = byName.get(e.preset.metadata.name!) ?? [];
    list.push(e);
    byName.set(e.preset.metadata.name!, list);
  }
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    for (const e of list) {
      const others = list.filter((o) => o !== e).map((o) => o.source).join(', ');
      errors.push(`${e.source}: metadata.name: Duplicate value: ${JSON.stringify(name)}: also defined at ${others}`);
    }
  }
  return { entries: entries.filter((e) => byName.get(e.preset.metadata.name!)!.length === 1), errors };
}

/**
 * Reads every `*.yaml` file of `dir` (not its subdirectories, not dotfiles), each holding one or more Preset
 * documents, strictly: a YAML error (duplicate keys included) skips the whole file; a document that is not a
 * valid Preset is skipped. Every error names file:line:column and, for an error in a field, the field path.
 * The presets come back as they would be stored: defaults applied, label hyprbox.io/catalog: "true" and
 * annotation hyprbox.io/catalog-digest: sha256:<hex of the canonical JSON of the spec>.
 */
export async function loadCatalog(dir: string): Promise<{ presets: Obj[]; errors: string[] }> {
  const { entries, errors } = await readCatalog(dir);
  return { presets: entries.map((e) => e.preset), errors };
}

// ---------------------------------------------------------------------------------------------------------
// Syncing

export interface SyncCatalogLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SyncCatalogOptions {
  dir: string;
  /** The presets repository. */
  repo: Repository;
  now(): Date;
  log: SyncCatalogLog;
}

export interface SyncCatalogResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Stored presets labelled hyprbox.io/catalog: "false": an admin took them over, the sync leaves them alone. */
  pinned: string[];
  errors: string[];
}

type Outcome = 'created' | 'updated' | 'unchanged' | 'pinned';

const ATTEMPTS = 5;

function upToDate(current: Obj, desired: Obj): boolean {
  const has = (cur: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean =>
    Object.entries(want ?? {}).every(([k, v]) => cur?.[k] === v);
  return (
    isDeepStrictEqual(current.spec, desired.spec) &&
    has(current.metadata.labels, desired.metadata.labels) &&
    has(current.metadata.annotations, desired.metadata.annotations)
  );
}

async function syncOne(o: SyncCatalogOptions, desired: Obj): Promise<Outcome> {
  const r = o.repo.resource;
  const name = desired.metadata.name!;
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await o.repo.get(undefined, name);
      if (!current) {
        const { obj } = admitCreate(r, structuredClone(desired), { namespace: undefined, fieldValidation: 'Strict', now: o.now() });
        await o.repo.create(obj);
        return 'created';
      }
      if (current.metadata.labels?.[CATALOG_LABEL] === 'false') return 'pinned';
      if (upToDate(current, desired)) return 'unchanged';
      const body = {
        apiVersion: desired.apiVersion,
        kind: desired.kind,
        metadata: {
          ...structuredClone(current.metadata),
          labels: { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
          annotations: { ...(current.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) },
        },
        spec: structuredClone(desired.spec),
      };
      const { obj } = admitUpdate(r, current, body, { fieldValidation: 'Strict', requireResourceVersion: true });
      await o.repo.update(obj, Number(current.metadata.resourceVersion));
      return 'updated';
    } catch (err) {
      // Someone else wrote the preset between our read and our write: read again.
      const raced = err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists' || err.reason === 'NotFound');
      if (!raced || attempt >= ATTEMPTS) throw err;
    }
  }
}

/**
 * Syncs the catalog in `dir` into the store: creates the presets that are missing, updates those whose spec
 * (or catalog label and digest) differ — keeping uid, creationTimestamp, status and the labels and annotations
 * others added, with metadata.generation bumped when the spec changed — and leaves the rest as they are
 * (same resourceVersion). Writes go through admitCreate/admitUpdate, so a stored preset has the same defaults
 * and validation as one written through the API. Presets with errors are skipped and reported; presets that
 * are not in the catalog are not touched; a stored preset labelled hyprbox.io/catalog: "false" is pinned.
 * Store failures (other than write races, which are retried) are thrown.
 */
export async function syncCatalog(o: SyncCatalogOptions): Promise<SyncCatalogResult> {
  const result: SyncCatalogResult = { created: [], updated: [], unchanged: [], pinned: [], errors: [] };
  const { entries, errors } = await readCatalog(o.dir);
  result.errors.push(...errors);
  for (const e of entries) {
    const name = e.preset.metadata.name!;
    try {
      const outcome = await syncOne(o, e.preset);
      result[outcome].push(name);
      if (outcome === 'created' || outcome === 'updated') o.log.info({ preset: name, source: e.source }, `catalog preset ${outcome}`);
      if (outcome === 'pinned') o.log.info({ preset: name }, `catalog preset left as it is: the stored one is labelled ${CATALOG_LABEL}=false`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code >= 500) throw err;
      result.errors.push(`${e.source}: Preset ${name}: ${err.message}`);
    }
  }
  for (const msg of result.errors) o.log.warn({ dir: o.dir }, `catalog: ${msg}`);
  o.log.info(
    { dir: o.dir, created: result.created.length, updated: result.updated.length, unchanged: result.unchanged.length, pinned: result.pinned.length, errors: result.errors.length },
    'catalog synced',
  );
  return result;
}
