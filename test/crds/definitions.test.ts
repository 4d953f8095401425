// The CustomResourceDefinition files: one valid, structural CRD per kind, described for kubectl explain.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { isAlias, isNode, parse, parseAllDocuments, visit } from 'yaml';
import {
  CONDITION_STATUSES,
  DEFINITIONS_DIR,
  FINDING_PHASES,
  HEALTH_BUCKETS,
  RISKS,
  RUN_PHASES,
  SEVERITIES,
  createValidator,
  loadResources,
  resourceFromCrd,
} from '@hyprbox/crds';
import type { JSONSchemaProps, ResourceDef } from '@hyprbox/crds';

type Visit = (path: string, s: JSONSchemaProps, viaProperty: boolean) => void;

/** Every schema node, with its path (`.a.b`, `[]` for items, `{}` for map values). */
function walk(s: JSONSchemaProps, visit: Visit, path = '', viaProperty = false): void {
  visit(path, s, viaProperty);
  for (const [k, p] of Object.entries(s.properties ?? {})) walk(p, visit, `${path}.${k}`, true);
  if (s.items) walk(s.items, visit, `${path}[]`);
  if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, visit, `${path}{}`);
}

function byKind(kind: string): ResourceDef {
  const def = loadResources().find((d) => d.kind === kind);
  if (!def) throw new Error(`no kind ${kind}`);
  return def;
}

/** The schema at a printer column's jsonPath (filters like [?(@.type=="Ready")] step into the items). */
function schemaAt(def: ResourceDef, jsonPath: string): JSONSchemaProps | undefined {
  let s: JSONSchemaProps | undefined = def.schema;
  const steps = jsonPath.replace(/\[\?\(@\.[^)]*\)\]/g, '[]').split(/(?=[.[])/).filter(Boolean);
  for (const step of steps) {
    if (!s) return undefined;
    if (step === '[]') s = s.items;
    else if (step === '.metadata') return { type: 'object' };
    else s = s.properties?.[step.slice(1)];
  }
  return s;
}

const EXPECTED = [
  { kind: 'AuditEvent', plural: 'auditevents', namespaced: false, status: false, shortNames: ['audit'], columns: ['Time', 'User', 'Verb', 'Resource', 'Namespace', 'Object', 'Code'] },
  { kind: 'Event', plural: 'events', namespaced: true, status: false, shortNames: ['hev'], columns: ['Last Seen', 'Type', 'Reason', 'Kind', 'Object', 'Count', 'Message'] },
  { kind: 'Finding', plural: 'findings', namespaced: true, status: true, shortNames: ['fi', 'find'], columns: ['Node', 'Type', 'Severity', 'State', 'Key', 'Message', 'Age'] },
  { kind: 'Lease', plural: 'leases', namespaced: true, status: false, shortNames: ['hlease'], columns: ['Holder', 'Renewed', 'Duration'] },
  { kind: 'Node', plural: 'nodes', namespaced: true, status: true, shortNames: ['hn', 'hnode'], columns: ['Ready', 'Health', 'OS', 'Kernel', 'Agent', 'Paused', 'Heartbeat', 'Age'] },
  { kind: 'NodeProfile', plural: 'nodeprofiles', namespaced: true, status: true, shortNames: ['np', 'prof'], columns: ['Mode', 'Matched', 'Compliant', 'Drifted', 'Health', 'Ready', 'Age'] },
  { kind: 'Preset', plural: 'presets', namespaced: false, status: true, shortNames: ['pre'], columns: ['Risk', 'Resolves', 'Version', 'Age'] },
  { kind: 'RoleBinding', plural: 'rolebindings', namespaced: false, status: false, shortNames: ['rb'], columns: ['User', 'Role', 'Scope', 'Age'] },
  { kind: 'Run', plural: 'runs', namespaced: true, status: true, shortNames: ['ru'], columns: ['Node', 'Preset', 'Risk', 'Phase', 'Finding', 'Started', 'Age'] },
  { kind: 'Token', plural: 'tokens', namespaced: false, status: true, shortNames: ['tok'], columns: ['User', 'Node', 'Namespace', 'Expires', 'Revoked', 'Age'] },
  { kind: 'User', plural: 'users', namespaced: false, status: false, shortNames: ['usr'], columns: ['Display Name', 'Disabled', 'Age'] },
];

describe('crds: definitions', () => {
  it('loads one kind per file, with the expected names, scope, status subresource, short names and columns', () => {
    const defs = loadResources();
    expect(defs.map((d) => d.kind)).to.deep.equal(EXPECTED.map((e) => e.kind));
    for (const want of EXPECTED) {
      const def = byKind(want.kind);
      expect({
        kind: def.kind, plural: def.plural, namespaced: def.namespaced, status: def.hasStatus,
        shortNames: def.shortNames, columns: def.printerColumns.map((c) => c.name),
      }, want.kind).to.deep.equal(want);
      expect(def.group).to.equal('hyprbox.io');
      expect(def.version).to.equal('v1alpha1');
      expect(def.listKind).to.equal(`${want.kind}List`);
      expect(def.singular).to.equal(want.kind.toLowerCase());
      expect(def.categories).to.deep.equal(['hyprbox']);
      expect(def.file).to.equal(`definitions/${want.kind.toLowerCase()}.yaml`);
    }
  });

  it('each file is a single plain YAML document holding an apiextensions.k8s.io/v1 CRD with one served storage version', () => {
    const files = readdirSync(DEFINITIONS_DIR).sort();
    expect(files).to.deep.equal(['auditevent.yaml', 'event.yaml', 'finding.yaml', 'lease.yaml', 'node.yaml', 'nodeprofile.yaml', 'preset.yaml', 'rolebinding.yaml', 'run.yaml', 'token.yaml', 'user.yaml']);
    for (const f of files) {
      const text = readFileSync(join(DEFINITIONS_DIR, f), 'utf8');
      const docs = parseAllDocuments(text);
      expect(docs.length, f).to.equal(1);
      expect(docs[0]!.errors.map(String), f).to.deep.equal([]);
      const anchors: string[] = []; // plain YAML: no anchors or aliases
      visit(docs[0]!, (_key, node) => {
        if (isAlias(node) || (isNode(node) && node.anchor)) anchors.push(String(node));
      });
      expect(anchors, f).to.deep.equal([]);
      const crd = parse(text) as { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
      expect(crd.apiVersion).to.equal('apiextensions.k8s.io/v1');
      expect(crd.kind).to.equal('CustomResourceDefinition');
      const versions = crd.spec['versions'] as Array<Record<string, unknown>>;
      expect(versions.map((v) => [v['name'], v['served'], v['storage']]), f).to.deep.equal([['v1alpha1', true, true]]);
      expect(Object.keys(crd.spec).sort(), f).to.deep.equal(['group', 'names', 'scope', 'versions']);
    }
  });

  it('describes every property for kubectl explain', () => {
    const missing: string[] = [];
    for (const def of loadResources()) {
      if (!def.schema.description) missing.push(`${def.kind}: (root)`);
      walk(def.schema, (path, s, viaProperty) => {
        if (viaProperty && path !== '.metadata' && !(typeof s.description === 'string' && s.description.trim().length > 0)) {
          missing.push(`${def.kind}: ${path}`);
        }
      });
    }
    expect(missing).to.deep.equal([]);
  });

  it('has structural schemas Kubernetes accepts', () => {
    const problems: string[] = [];
    for (const def of loadResources()) {
      const p = (path: string, what: string): void => {
        problems.push(`${def.file}: ${path || '(root)'}: ${what}`);
      };
      expect(def.schema.properties?.['metadata'], def.kind).to.deep.equal({ type: 'object' });
      walk(def.schema, (path, s) => {
        const extra = s as Record<string, unknown>;
        if (!s.type && !s['x-kubernetes-preserve-unknown-fields'] && !s['x-kubernetes-int-or-string']) p(path, 'no type');
        if (s.properties && s.additionalProperties !== undefined) p(path, 'both properties and additionalProperties');
        if (s.additionalProperties === false) p(path, 'additionalProperties: false');
        for (const k of ['uniqueItems', '$ref', 'definitions', 'patternProperties', 'dependencies', 'additionalItems']) {
          if (k in extra) p(path, `${k} is not allowed`);
        }
        if (s.type === 'array' && !s.items) p(path, 'array without items');
        if (s.type === 'object' && s.items) p(path, 'object with items');
        for (const r of s.required ?? []) if (!s.properties?.[r]) p(path, `required ${r} is not a property`);
        if (s['x-kubernetes-list-type'] === 'map') {
          for (const key of s['x-kubernetes-list-map-keys'] ?? []) {
            const prop = s.items?.properties?.[key];
            if (!prop || (!s.items?.required?.includes(key) && prop.default === undefined)) p(path, `list map key ${key} is neither required nor defaulted`);
          }
        }
        if (s.pattern !== undefined) {
          if (/\(\?[=!<]|\\[1-9]/.test(s.pattern)) p(path, 'pattern uses lookaround or backreferences (not RE2)');
          try {
            new RegExp(s.pattern, 'u');
          } catch (e) {
            p(path, `pattern does not compile: ${(e as Error).message}`);
          }
        }
        if (s.enum && s.type && s.enum.some((v) => typeof v !== (s.type === 'integer' ? 'number' : s.type))) p(path, 'enum value of the wrong type');
      });
    }
    expect(problems).to.deep.equal([]);
  });

  it('has defaults that pass their own schema', () => {
    const problems: string[] = [];
    for (const def of loadResources()) {
      walk(def.schema, (path, s) => {
        if (s.default === undefined) return;
        const probe: ResourceDef = { ...def, schema: { type: 'object', properties: { value: s } } };
        for (const c of createValidator(probe).validate({ value: structuredClone(s.default) })) {
          problems.push(`${def.kind}${path}: ${c.field} ${c.message}`);
        }
      });
    }
    expect(problems).to.deep.equal([]);
  });

  it('has printer columns that point at declared fields of the declared type', () => {
    const typeOf = { string: 'string', integer: 'integer', number: 'number', boolean: 'boolean', date: 'string' } as const;
    for (const def of loadResources()) {
      for (const col of def.printerColumns) {
        const s = schemaAt(def, col.jsonPath);
        expect(s, `${def.kind} column ${col.name} (${col.jsonPath})`).to.not.equal(undefined);
        if (col.jsonPath !== '.metadata.creationTimestamp' && col.jsonPath !== '.spec.resolves') {
          expect(s?.type, `${def.kind} column ${col.name}`).to.equal(typeOf[col.type]);
        }
        if (col.type === 'date' && col.jsonPath !== '.metadata.creationTimestamp') expect(s?.format).to.equal('date-time');
      }
    }
    expect(byKind('Node').printerColumns.find((c) => c.name === 'Ready')?.jsonPath).to.equal('.status.conditions[?(@.type=="Ready")].status');
  });

  it('gives every kind short names and plurals no other kind uses', () => {
    const seen = new Map<string, string>();
    for (const def of loadResources()) {
      expect(def.shortNames.length, def.kind).to.be.greaterThan(0);
      for (const name of [def.plural, def.singular, ...def.shortNames]) {
        expect(seen.get(name), `${name} of ${def.kind}`).to.equal(undefined);
        seen.set(name, def.kind);
      }
    }
    expect(seen.size).to.equal(EXPECTED.length * 2 + EXPECTED.reduce((n, e) => n + e.shortNames.length, 0));
  });

  it('uses the same enum values wherever a concept appears', () => {
    const enums = (kind: string, path: string): unknown[] | undefined => {
      let found: unknown[] | undefined;
      walk(byKind(kind).schema, (p, s) => {
        if (p === path) found = s.enum;
      });
      return found;
    };
    expect(enums('Finding', '.spec.severity')).to.deep.equal([...SEVERITIES]);
    expect(enums('NodeProfile', '.spec.states[].severity')).to.deep.equal([...SEVERITIES]);
    expect(enums('Preset', '.spec.risk')).to.deep.equal([...RISKS]);
    expect(enums('Run', '.spec.risk')).to.deep.equal([...RISKS]);
    expect(enums('NodeProfile', '.spec.remediation.autoApproveUpTo')).to.deep.equal(RISKS.filter((r) => r !== 'DANGEROUS'));
    expect(enums('Finding', '.status.phase')).to.deep.equal([...FINDING_PHASES]);
    expect(enums('Finding', '.status.history[].phase')).to.deep.equal([...FINDING_PHASES]);
    expect(enums('Run', '.status.phase')).to.deep.equal([...RUN_PHASES]);
    expect(enums('Node', '.status.health')).to.deep.equal([...HEALTH_BUCKETS]);
    expect(enums('NodeProfile', '.status.health')).to.deep.equal([...HEALTH_BUCKETS]);
    // Token's status holds server-written facts about the credential (its hash, its node), not conditions.
    for (const def of loadResources().filter((d) => d.hasStatus && d.kind !== 'Token')) {
      expect(enums(def.kind, '.status.conditions[].status'), def.kind).to.deep.equal([...CONDITION_STATUSES]);
    }
  });

  describe('resourceFromCrd', () => {
    const original = (): Record<string, unknown> => parse(readFileSync(join(DEFINITIONS_DIR, 'node.yaml'), 'utf8')) as Record<string, unknown>;

    it('reads a CRD as loadResources does', () => {
      const def = resourceFromCrd(original(), 'definitions/node.yaml');
      expect(def.kind).to.equal('Node');
      expect(def.schema).to.deep.equal(byKind('Node').schema);
    });

    const broken: Array<[string, (crd: Record<string, unknown>) => void, string]> = [
      ['plural', (crd) => delete ((crd['spec'] as Record<string, Record<string, unknown>>)['names']!['plural']), 'definitions/node.yaml: spec.names.plural: missing'],
      ['kind', (crd) => delete ((crd['spec'] as Record<string, Record<string, unknown>>)['names']!['kind']), 'definitions/node.yaml: spec.names.kind: missing'],
      ['scope', (crd) => delete (crd['spec'] as Record<string, unknown>)['scope'], 'definitions/node.yaml: spec.scope: missing'],
      ['group', (crd) => delete (crd['spec'] as Record<string, unknown>)['group'], 'definitions/node.yaml: spec.group: missing'],
      ['schema', (crd) => delete ((crd['spec'] as Record<string, Array<Record<string, unknown>>>)['versions']![0]!['schema']),
        'definitions/node.yaml: spec.versions[v1alpha1].schema.openAPIV3Schema: missing'],
      ['served version', (crd) => ((crd['spec'] as Record<string, Array<Record<string, unknown>>>)['versions']![0]!['name'] = 'v1'),
        'definitions/node.yaml: spec.versions: no served version v1alpha1'],
      ['name', (crd) => ((crd['metadata'] as Record<string, unknown>)['name'] = 'node.hyprbox.io'),
        'definitions/node.yaml: metadata.name: must be nodes.hyprbox.io'],
      ['apiVersion', (crd) => (crd['apiVersion'] = 'apiextensions.k8s.io/v1beta1'),
        'definitions/node.yaml: apiVersion: must be apiextensions.k8s.io/v1'],
      ...([
        ['a selectable field outside the schema', '.spec.nope', 'selectableFields[1].jsonPath: .spec.nope is not a field of the schema'],
        ['a selectable field that is an object', '.spec.agentConfig', 'selectableFields[1].jsonPath: .spec.agentConfig must be a string, integer or boolean field (is object)'],
        ['a selectable field that is not a plain path', '.status.conditions[0].type', 'selectableFields[1].jsonPath: must be a path of field names'],
        ['a selectable field declared twice', '.spec.paused', 'selectableFields[1].jsonPath: .spec.paused is declared twice'],
      ] as const).map(([what, jsonPath, message]): [string, (crd: Record<string, unknown>) => void, string] => [
        what,
        (crd) => ((crd['spec'] as Record<string, Array<Record<string, unknown>>>)['versions']![0]!['selectableFields'] = [{ jsonPath: '.spec.paused' }, { jsonPath }]),
        `definitions/node.yaml: spec.versions[v1alpha1].${message}`,
      ]),
    ];
    for (const [what, breakIt, message] of broken) {
      it(`names the file and the field when ${what} is wrong`, () => {
        const crd = original();
        breakIt(crd);
        expect(() => resourceFromCrd(crd, 'definitions/node.yaml')).to.throw(Error, message);
      });
    }
  });
});
