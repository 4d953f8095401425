// `hyprbox explain`: the documentation of a kind or field from the controller's OpenAPI v3 document, laid
// out as kubectl explain lays it out (kind, description, fields with their types and required marks).
import type { Client } from './client.js';
import { CliError, EXIT } from './errors.js';
import type { ResourceInfo } from './resources.js';

export interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  $ref?: string;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

interface Document {
  components?: { schemas?: Record<string, Schema> };
}

export class SchemaSet {
  constructor(private readonly schemas: Record<string, Schema>) {}

  static async fetch(client: Client, r: ResourceInfo): Promise<SchemaSet> {
    const path = r.group ? `/openapi/v3/apis/${r.group}/${r.version}` : `/openapi/v3/api/${r.version}`;
    const doc = await client.json<Document>('GET', path);
    return new SchemaSet(doc.components?.schemas ?? {});
  }

  kind(r: ResourceInfo): Schema {
    const hit = Object.values(this.schemas).find((s) => s['x-kubernetes-group-version-kind']?.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind));
    if (!hit) throw new CliError(`the server publishes no schema for ${r.kind} (${r.group ? `${r.group}/` : ''}${r.version})`, EXIT.refused);
    return hit;
  }

  /** A schema with its $ref (or a lone allOf $ref, as Kubernetes writes references) followed; own description kept. */
  resolve(s: Schema): Schema {
    const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
    if (!ref) return s;
    const target = this.schemas[ref.replace('#/components/schemas/', '')] ?? {};
    return { ...target, ...(s.description ? { description: s.description } : {}) };
  }

  typeName(s: Schema): string {
    const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
    if (ref) return ref.slice(ref.lastIndexOf('.') + 1);
    if (s.type === 'array') return `[]${s.items ? this.typeName(s.items) : 'Object'}`;
    if (s.type === 'object' && typeof s.additionalProperties === 'object') return `map[string]${this.typeName(s.additionalProperties)}`;
    if (s.type === 'object' || !s.type) return 'Object';
    return s.type;
  }

  /** Follows `spec.states.with` from the kind's schema; list fields are walked through their items. */
  walk(root: Schema, path: string[], kind: string): { schema: Schema; name: string } {
    let s = root;
    let at = kind;
    for (const seg of path) {
      s = this.resolve(s);
      if (s.type === 'array' && s.items) s = this.resolve(s.items);
      const next = s.properties?.[seg];
      if (!next) {
        const have = Object.keys(s.properties ?? {});
        throw new CliError(`field "${seg}" does not exist in ${at}${have.length ? ` (its fields: ${have.join(', ')})` : ' (it has no documented fields)'}`, EXIT.usage);
      }
      s = next;
      at = `${at}.${seg}`;
    }
    return { schema: s, name: path[path.length - 1] ?? kind };
  }

  /** The fields directly under a schema (a list's are its items'). */
  fields(s: Schema): { props: Record<string, Schema>; required: Set<string> } {
    let r = this.resolve(s);
    if (r.type === 'array' && r.items) r = this.resolve(r.items);
    return { props: r.properties ?? {}, required: new Set(r.required ?? []) };
  }
}

/** Wraps text at `width` columns, every line indented. */
export function wrap(text: string, indent: string, width = 80): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && indent.length + line.length + 1 + word.length > width) {
        out.push(indent + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(indent + line);
  }
  return out.join('\n').replace(/[ \t]+$/gm, '');
}

export interface Explained {
  group: string;
  version: string;
  kind: string;
  field?: string;
  type: string;
  description: string;
  enum?: unknown[];
  default?: unknown;
  fields: Array<{ name: string; type: string; required: boolean; description: string }>;
}

export function explain(set: SchemaSet, r: ResourceInfo, path: string[]): Explained {
  const { schema } = set.walk(set.kind(r), path, r.kind);
  const resolved = set.resolve(schema);
  const { props, required } = set.fields(schema);
  return {
    group: r.group,
    version: r.version,
    kind: r.kind,
    ...(path.length ? { field: path.join('.') } : {}),
    type: set.typeName(schema),
    description: resolved.description ?? '<empty>',
    ...(resolved.enum ? { enum: resolved.enum } : {}),
    ...(resolved.default !== undefined ? { default: resolved.default } : {}),
    fields: Object.entries(props).map(([name, s]) => ({ name, type: set.typeName(s), required: required.has(name), description: set.resolve(s).description ?? '' })),
  };
}

export function explainedText(e: Explained): string {
  const out = [...(e.group ? [`GROUP:      ${e.group}`] : []), `KIND:       ${e.kind}`, `VERSION:    ${e.version}`, ''];
  if (e.field) out.push(`FIELD: ${e.field.split('.').pop()} <${e.type}>`, '');
  if (e.enum) out.push('ENUM:', ...e.enum.map((v) => `    ${typeof v === 'string' ? v : JSON.stringify(v)}`), '');
  if (e.default !== undefined) out.push(`DEFAULT: ${JSON.stringify(e.default)}`, '');
  out.push('DESCRIPTION:', wrap(e.description, '    '));
  if (e.fields.length) {
    out.push('', 'FIELDS:');
    for (const f of e.fields) out.push(`  ${f.name}\t<${f.type}>${f.required ? ' -required-' : ''}`, ...(f.description ? [wrap(f.description, '    ')] : []), '');
  }
  return out.join('\n').trimEnd();
}

/** `--recursive`: every field below, indented by depth, with its type (cycles and depth bounded). */
export function fieldTree(set: SchemaSet, s: Schema, depth = 0, seen: string[] = []): string[] {
  if (depth > 12) return [];
  const { props, required } = set.fields(s);
  return Object.entries(props).flatMap(([name, sub]) => {
    const type = set.typeName(sub);
    const line = `${'   '.repeat(depth + 1)}${name}\t<${type}>${required.has(name) ? ' -required-' : ''}`;
    return seen.includes(type) && /^[A-Z]/.test(type) && type !== 'Object' ? [line] : [line, ...fieldTree(set, sub, depth + 1, [...seen, type])];
  });
}
