// Manifests from files, directories (-R) and stdin, parsed with their positions so every error (YAML
// syntax, duplicate keys, and the server's per-field causes) names file:line:column.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type { Obj } from './client.js';
import { CliError, EXIT } from './errors.js';
import type { StatusCause } from './errors.js';

export interface Manifest {
  obj: Obj;
  /** Where it came from, e.g. `repo/web.yaml:12` (the line the document starts on). */
  source: string;
  file: string;
  /** Position of a field path (e.g. `spec.states[0].preset`) in the file, when it can be found. */
  position(field: string): string;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The files of `-f` arguments: files as given, directories' YAML/JSON files (sorted; recursive with -R). */
export function manifestFiles(paths: string[], recursive: boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string, top: boolean): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (recursive) walk(p, false);
      } else if (EXTENSIONS.has(extname(e.name))) out.push(p);
    }
    void top;
  };
  for (const p of paths) {
    if (p === '-') {
      out.push('-');
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`${p}: no such file or directory`, EXIT.usage);
    }
    if (st.isDirectory()) walk(p, true);
    else out.push(p);
  }
  return out;
}

/** Parses every document of every file; any error anywhere aborts before anything is sent. */
export function readManifests(paths: string[], recursive: boolean, stdin?: () => string): Manifest[] {
  const files = manifestFiles(paths, recursive);
  if (!files.length) throw new CliError(`no manifests (.yaml, .yml, .json) in ${paths.join(', ')}`, EXIT.usage);
  const out: Manifest[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const text = file === '-' ? (stdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(file, 'utf8');
    const name = file === '-' ? '<stdin>' : relative(process.cwd(), file) || file;
    try {
      out.push(...parseManifests(text, name));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'), EXIT.usage);
  return out;
}

export function parseManifests(text: string, file: string): Manifest[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) throw new CliError(`${file}: not YAML`, EXIT.usage);
  const at = (offset: number): string => {
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const problems: string[] = [];
  const out: Manifest[] = [];
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings.filter((w) => w.code === 'DUPLICATE_KEY')]) {
      problems.push(`${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
    }
    if (doc.errors.length) continue;
    if (doc.contents === null) continue; // an empty document (a trailing ---)
    const start = at(doc.contents.range?.[0] ?? 0);
    if (!isMap(doc.contents)) {
      problems.push(`${start}: a manifest must be a mapping with apiVersion, kind and metadata`);
      continue;
    }
    const obj = doc.toJS() as Obj;
    for (const f of ['apiVersion', 'kind'] as const) if (typeof obj[f] !== 'string' || !obj[f]) problems.push(`${start}: missing ${f}`);
    if (typeof obj.metadata !== 'object' || obj.metadata === null || typeof obj.metadata.name !== 'string' || !obj.metadata.name) problems.push(`${start}: missing metadata.name`);
    if (obj.kind === 'List' && Array.isArray(obj.items)) problems.push(`${start}: List manifests are not supported; write one document per object (--- between them)`);
    out.push({ obj, file, source: start.replace(/:\d+$/, ''), position: (field) => fieldPosition(doc, field, at) ?? start });
  }
  if (problems.length) throw new CliError(problems.join('\n'), EXIT.usage);
  return out;
}

/** Splits `spec.states[0].with.port` into path segments for yaml's getIn. */
export function fieldPath(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function fieldPosition(doc: Document, field: string, at: (offset: number) => string): string | undefined {
  const path = fieldPath(field);
  // Walk up to the deepest part of the path that exists (a missing required field points at its parent);
  // a mapping key points at the key itself, not its value.
  for (let n = path.length; n > 0; n--) {
    const parent = n > 1 ? doc.getIn(path.slice(0, n - 1), true) : doc.contents;
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      const key = pair?.key as { range?: [number, number, number] } | undefined;
      if (key?.range) return at(key.range[0]);
    }
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return at(node.range[0]);
  }
  return undefined;
}

/** Server causes with the manifest positions they refer to. */
export function locateCauses(m: Manifest, causes: StatusCause[]): StatusCause[] {
  return causes.map((c) => ({ ...c, field: c.field ? `${m.position(c.field)}: ${c.field}` : m.source }));
}
