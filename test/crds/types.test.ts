// The TypeScript types are generated from the CRD schemas and checked in; this fails when they are stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  FINDING_PHASES,
  PresetSpecRiskValues,
  RISKS,
  generateTypes,
  loadResources,
  PACKAGE_ROOT,
} from '@hyprbox/crds';
import type { Finding, JSONSchemaProps, KindMap, Node, NodeProfile, ResourceDef, Risk } from '@hyprbox/crds';

const GENERATED = join(PACKAGE_ROOT, 'src', 'generated', 'types.ts');

/** A kind made up for the test, so the generator's mapping is pinned down independently of the real CRDs. */
function fakeDef(kind: string, schema: JSONSchemaProps): ResourceDef {
  return {
    group: 'hyprbox.io', version: 'v1alpha1', kind, listKind: `${kind}List`, plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(), shortNames: [], categories: [], namespaced: true, schema, printerColumns: [],
    hasStatus: true, selectableFields: [], crd: {}, file: `definitions/${kind.toLowerCase()}.yaml`,
  };
}

describe('crds: generated types', () => {
  it('src/generated/types.ts is exactly what generateTypes makes from the CRDs', () => {
    const checkedIn = readFileSync(GENERATED, 'utf8');
    const fresh = generateTypes(loadResources());
    if (fresh !== checkedIn) expect.fail('generated types are stale: run npm run gen:types');
  });

  it('is deterministic and does not depend on the order of the kinds', () => {
    const defs = loadResources();
    expect(generateTypes([...defs].reverse())).to.equal(generateTypes(defs));
  });

  it('changes when a schema changes (so the staleness check can fail)', () => {
    const defs = loadResources();
    const preset = defs.find((d) => d.kind === 'Preset')!;
    const spec = preset.schema.properties!['spec']!;
    const changed: ResourceDef = {
      ...preset,
      schema: {
        ...preset.schema,
        properties: {
          ...preset.schema.properties,
          spec: { ...spec, properties: { ...spec.properties, owner: { type: 'string', description: 'Who maintains it.' } } },
        },
      },
    };
    const out = generateTypes(defs.map((d) => (d === preset ? changed : d)));
    expect(out).to.not.equal(generateTypes(defs));
    expect(out).to.contain('  /** Who maintains it. */\n  owner?: string;\n');
  });

  it('maps required and optional fields, enums, maps, preserve-unknown fields, conditions and nested objects', () => {
    const out = generateTypes([fakeDef('Widget', {
      type: 'object',
      description: 'A widget.',
      required: ['spec'],
      properties: {
        apiVersion: { type: 'string', description: 'API version.' },
        kind: { type: 'string', description: 'Kind.' },
        metadata: { type: 'object' },
        spec: {
          type: 'object',
          description: 'The spec.',
          required: ['size'],
          properties: {
            size: { type: 'integer', description: 'How big.' },
            color: { type: 'string', enum: ['red', 'blue'], default: 'red', description: 'Color.' },
            parts: {
              type: 'array',
              description: 'Parts.',
              items: { type: 'object', required: ['name'], properties: { name: { type: 'string', description: 'Name.' } } },
            },
            entries: { type: 'array', description: 'Entries.', items: { type: 'object', properties: { x: { type: 'number', description: 'X.' } } } },
            tags: { type: 'object', description: 'Tags.', additionalProperties: { type: 'string' } },
            extra: { type: 'object', description: 'Anything.', 'x-kubernetes-preserve-unknown-fields': true },
            value: { description: 'Any value. Ends a comment: */', 'x-kubernetes-preserve-unknown-fields': true },
            port: { description: 'A port.', 'x-kubernetes-int-or-string': true },
          },
        },
        status: {
          type: 'object',
          description: 'The status.',
          properties: {
            conditions: {
              type: 'array',
              description: 'Conditions.',
              items: {
                type: 'object',
                required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
                properties: {
                  type: { type: 'string' },
                  status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
                  observedGeneration: { type: 'integer' },
                  lastTransitionTime: { type: 'string', format: 'date-time' },
                  reason: { type: 'string' },
                  message: { type: 'string' },
                },
              },
            },
          },
        },
      },
    })]);
    expect(out).to.contain("import type { Condition, ListMeta, ObjectMeta } from '../meta.js';");
    expect(out).to.contain(
      "/** A widget. */\nexport interface Widget {\n  /** API version. */\n  apiVersion: 'hyprbox.io/v1alpha1';\n"
      + "  /** Kind. */\n  kind: 'Widget';\n  metadata: ObjectMeta;\n  /** The spec. */\n  spec: WidgetSpec;\n"
      + '  /** The status. */\n  status?: WidgetStatus;\n}\n',
    );
    expect(out).to.contain('  /** How big. */\n  size: number;\n');
    expect(out).to.contain('  /**\n   * Color.\n   * @default "red"\n   */\n  color?: WidgetSpecColor;\n');
    expect(out).to.contain("export const WidgetSpecColorValues = ['red', 'blue'] as const;");
    expect(out).to.contain('export type WidgetSpecColor = (typeof WidgetSpecColorValues)[number];');
    expect(out).to.contain('  parts?: WidgetSpecPart[];\n');
    expect(out).to.contain('export interface WidgetSpecPart {\n  /** Name. */\n  name: string;\n}\n');
    expect(out).to.contain('  entries?: WidgetSpecEntry[];\n');
    expect(out).to.contain('  tags?: Record<string, string>;\n');
    expect(out).to.contain('  extra?: Record<string, unknown>;\n');
    expect(out).to.contain('  /** Any value. Ends a comment: *\\/ */\n  value?: unknown;\n');
    expect(out).to.contain('  port?: number | string;\n');
    expect(out).to.contain('  conditions?: Condition[];\n');
    expect(out).to.contain(
      "export interface WidgetList {\n  apiVersion: 'hyprbox.io/v1alpha1';\n  kind: 'WidgetList';\n  metadata: ListMeta;\n  items: Widget[];\n}\n",
    );
    expect(out).to.contain('export interface KindMap {\n  Widget: Widget;\n}\n');
  });

  it('refuses two declarations with the same name instead of emitting a module that does not compile', () => {
    const def = fakeDef('Gadget', {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            part: { type: 'object', properties: { a: { type: 'string' } } },
            parts: { type: 'array', items: { type: 'object', properties: { b: { type: 'string' } } } },
          },
        },
      },
    });
    expect(() => generateTypes([def])).to.throw('generateTypes: two declarations named GadgetSpecPart');
  });

  it('exports the enum values from the schemas, and the types reject what the schemas reject', () => {
    expect([...PresetSpecRiskValues]).to.deep.equal(['SAFE', 'CONFIRM', 'DANGEROUS']);
    expect(RISKS).to.equal(PresetSpecRiskValues);
    expect([...FINDING_PHASES]).to.deep.equal(['Open', 'AwaitingApproval', 'Remediating', 'Resolved', 'Failed', 'Snoozed']);

    const finding: Finding = {
      apiVersion: 'hyprbox.io/v1alpha1',
      kind: 'Finding',
      metadata: { name: 'web-1.tls', namespace: 'acme' },
      spec: { nodeName: 'web-1', type: 'tls.expiring', key: '/etc/ssl/web.pem', severity: 'WARN' },
      status: { phase: 'Open', conditions: [{ type: 'Ready', status: 'True', reason: 'Open', message: '', lastTransitionTime: '2026-11-21T10:00:00Z' }] },
    };
    // @ts-expect-error severity is an enum
    const badSeverity: Finding['spec']['severity'] = 'HIGH';
    // @ts-expect-error nodeName is required
    const noNode: Finding['spec'] = { type: 'tls.expiring', key: 'k', severity: 'INFO' };
    // @ts-expect-error the kind is a literal
    const wrongKind: Node = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Nodes', metadata: {}, spec: {} };
    const risk: Risk = 'DANGEROUS';
    const profile: NodeProfile['spec'] = { states: [{ preset: 'ssh-hardening', with: { any: { nested: true } } }] };
    const kinds: Array<keyof KindMap> = ['Event', 'Finding', 'Node', 'NodeProfile', 'Preset', 'Run'];
    expect([finding.kind, badSeverity, noNode.key, wrongKind.kind, risk, profile.states.length, kinds.length])
      .to.deep.equal(['Finding', 'HIGH', 'k', 'Nodes', 'DANGEROUS', 1, 6]);
  });
});
