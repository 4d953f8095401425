// The HyprBox kinds as the API server, the validators and the type generator see them, read from the
// CustomResourceDefinition files in ../definitions (the single source of truth).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const GROUP = 'hyprbox.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** An OpenAPI v3 schema as written in a CRD (structural, with x-kubernetes-* extensions). */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** The openAPIV3Schema of the served version. */
  schema: JSONSchemaProps;
  printerColumns: PrinterColumn[];
  hasStatus: boolean;
  /** Fields a field selector may use besides metadata.name and metadata.namespace (`spec.severity`). */
  selectableFields: string[];
  /** The CRD object exactly as written in its file. */
  crd: Record<string, unknown>;
  /** The file the CRD came from, relative to the package root. */
  file: string;
}

interface CrdDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group?: string;
    scope?: 'Namespaced' | 'Cluster';
    names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions?: Array<{
      name?: string;
      served?: boolean;
      storage?: boolean;
      schema?: { openAPIV3Schema?: JSONSchemaProps };
      subresources?: { status?: object };
      additionalPrinterColumns?: PrinterColumn[];
      selectableFields?: Array<{ jsonPath?: string }>;
    }>;
  };
}

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFINITIONS_DIR = join(PACKAGE_ROOT, 'definitions');

/** Turns one parsed CRD into a ResourceDef; throws naming the file and field when it is malformed. */
export function resourceFromCrd(doc: CrdDoc, file: string): ResourceDef {
  const fail = (field: string, why: string): never => {
    throw new Error(`${file}: ${field}: ${why}`);
  };
  if (doc.apiVersion !== 'apiextensions.k8s.io/v1') fail('apiVersion', 'must be apiextensions.k8s.io/v1');
  if (doc.kind !== 'CustomResourceDefinition') fail('kind', 'must be CustomResourceDefinition');
  const spec = doc.spec ?? fail('spec', 'missing');
  const names = spec.names ?? fail('spec.names', 'missing');
  const kind = names.kind ?? fail('spec.names.kind', 'missing');
  const plural = names.plural ?? fail('spec.names.plural', 'missing');
  const group = spec.group ?? fail('spec.group', 'missing');
  if (doc.metadata?.name !== `${plural}.${group}`) fail('metadata.name', `must be ${plural}.${group}`);
  const version = (spec.versions ?? []).find((v) => v.name === VERSION && v.served !== false)
    ?? fail('spec.versions', `no served version ${VERSION}`);
  const schema = version.schema?.openAPIV3Schema ?? fail(`spec.versions[${VERSION}].schema.openAPIV3Schema`, 'missing');
  return {
    group,
    version: VERSION,
    kind,
    listKind: names.listKind ?? `${kind}List`,
    plural,
    singular: names.singular ?? kind.toLowerCase(),
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    namespaced: (spec.scope ?? fail('spec.scope', 'missing')) === 'Namespaced',
    schema,
    printerColumns: version.additionalPrinterColumns ?? [],
    hasStatus: version.subresources?.status !== undefined,
    selectableFields: selectableFields(version.selectableFields ?? [], schema, (i, why) => fail(`spec.versions[${VERSION}].selectableFields[${i}].jsonPath`, why)),
    crd: doc as Record<string, unknown>,
    file,
  };
}

/** Kubernetes' rules: at most 8, each a plain path to a string, integer or boolean field of the schema. */
function selectableFields(declared: Array<{ jsonPath?: string }>, schema: JSONSchemaProps, fail: (i: number, why: string) => never): string[] {
  if (declared.length > 8) fail(8, 'at most 8 selectable fields');
  const out: string[] = [];
  declared.forEach((f, i) => {
    const path = f.jsonPath ?? '';
    if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(path)) fail(i, `must be a path of field names such as .spec.severity (got "${path}")`);
    const dotted = path.slice(1);
    if (out.includes(dotted)) fail(i, `${path} is declared twice`);
    let at: JSONSchemaProps | undefined = schema;
    for (const part of dotted.split('.')) at = at?.properties?.[part];
    if (!at) fail(i, `${path} is not a field of the schema`);
    if (!['string', 'integer', 'boolean'].includes(String(at!.type))) fail(i, `${path} must be a string, integer or boolean field (is ${String(at!.type)})`);
    out.push(dotted);
  });
  return out;
}

let cached: readonly ResourceDef[] | undefined;

/** All HyprBox kinds, sorted by kind, read once from the definitions directory. */
export function loadResources(dir = DEFINITIONS_DIR): readonly ResourceDef[] {
  if (dir === DEFINITIONS_DIR && cached) return cached;
  const defs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => resourceFromCrd(parse(readFileSync(join(dir, f), 'utf8')) as CrdDoc, `definitions/${f}`))
    .sort((a, b) => a.kind.localeCompare(b.kind));
  const frozen = Object.freeze(defs.map((d) => Object.freeze(d)));
  if (dir === DEFINITIONS_DIR) cached = frozen;
  return frozen;
}
