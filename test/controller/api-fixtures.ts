// ResourceDefs for the controller/api builder tests, written here so the tests do not depend on the
// exact content of crds/definitions (which other tests cover).
import type { JSONSchemaProps, ResourceDef } from '@hyprbox/crds';

const nodeSchema: JSONSchemaProps = {
  type: 'object',
  description: 'Node is a Linux server managed by HyprBox.',
  properties: {
    apiVersion: { type: 'string', description: 'APIVersion of this object.' },
    kind: { type: 'string', description: 'Kind of this object.' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      description: 'Spec is the desired state of the node.',
      properties: {
        unschedulable: { type: 'boolean', description: 'Unschedulable stops new work from landing on the node.' },
        address: { type: 'string', description: 'Address the agent connects from.', pattern: '^[^ ]+$' },
        port: { 'x-kubernetes-int-or-string': true, description: 'Port, a number or a service name.' } as JSONSchemaProps,
        taints: {
          type: 'array',
          description: 'Taints repel profiles that do not tolerate them.',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['key'],
          items: {
            type: 'object',
            description: 'A taint.',
            required: ['key'],
            properties: {
              key: { type: 'string', description: 'Taint key.' },
              effect: { type: 'string', description: 'Taint effect.', enum: ['NoSchedule', 'NoExecute'] },
            },
          },
        },
        settings: {
          type: 'object',
          description: 'Free-form settings.',
          additionalProperties: { type: 'string', description: 'A setting value.' },
        },
        template: {
          type: 'object',
          description: 'An embedded object.',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
    status: {
      type: 'object',
      description: 'Status is the observed state of the node.',
      properties: {
        os: {
          type: 'object',
          description: 'Operating system facts.',
          properties: { name: { type: 'string', description: 'OS name.' }, version: { type: 'string', description: 'OS version.' } },
        },
        cpu: { type: 'object', description: 'CPU facts.', properties: { cores: { type: 'integer', description: 'Number of cores.' } } },
        load: { type: 'number', description: 'One-minute load average.' },
        lastSeen: { type: 'string', format: 'date-time', description: 'When the agent last reported.' },
        addresses: {
          type: 'array',
          description: 'Addresses of the node.',
          items: {
            type: 'object',
            description: 'One address.',
            properties: { type: { type: 'string', description: 'Address type.' }, address: { type: 'string', description: 'The address.' } },
          },
        },
        conditions: {
          type: 'array',
          description: 'Conditions of the node.',
          items: {
            type: 'object',
            description: 'One condition.',
            properties: {
              type: { type: 'string', description: 'Condition type.' },
              status: { type: 'string', description: 'True, False or Unknown.' },
              priority: { type: 'integer', description: 'Ordering hint.' },
            },
          },
        },
      },
    },
  },
};

const profileSchema: JSONSchemaProps = {
  type: 'object',
  description: 'NodeProfile is desired configuration applied to the nodes it selects.',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      description: 'Spec of the profile.',
      properties: {
        nodeSelector: {
          type: 'object',
          description: 'Selects the nodes the profile applies to.',
          properties: {
            matchLabels: { type: 'object', description: 'Label equalities.', additionalProperties: { type: 'string' } },
          },
        },
        packages: { type: 'array', description: 'Packages to install.', items: { type: 'string' } },
        nodeName: { type: 'string', description: 'Pins the profile to one node.' },
      },
    },
  },
};

function def(partial: Omit<ResourceDef, 'group' | 'version' | 'crd' | 'file' | 'listKind' | 'selectableFields'> & { listKind?: string }): ResourceDef {
  return {
    group: 'hyprbox.io',
    selectableFields: [],
    version: 'v1alpha1',
    listKind: `${partial.kind}List`,
    crd: {},
    file: `definitions/${partial.plural}.yaml`,
    ...partial,
  };
}

export const NODE: ResourceDef = def({
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  categories: ['hyprbox'],
  namespaced: false,
  schema: nodeSchema,
  hasStatus: true,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'OS', type: 'string', jsonPath: '.status.os.name', priority: 1, description: 'Operating system' },
    { name: 'Cores', type: 'integer', jsonPath: '.status.cpu.cores' },
    { name: 'Load', type: 'number', jsonPath: '.status.load' },
    { name: 'Cordoned', type: 'boolean', jsonPath: '.spec.unschedulable' },
    { name: 'Last Seen', type: 'date', jsonPath: '.status.lastSeen' },
    { name: 'Addresses', type: 'string', jsonPath: '.status.addresses[*].address', priority: 1 },
  ],
});

export const PROFILE: ResourceDef = def({
  kind: 'NodeProfile',
  plural: 'nodeprofiles',
  singular: 'nodeprofile',
  shortNames: ['np'],
  categories: [],
  namespaced: true,
  schema: profileSchema,
  hasStatus: false,
  printerColumns: [
    { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
    { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});

export const DEFS: readonly ResourceDef[] = [NODE, PROFILE];

/** A deep copy of a def with one change made by `edit` to its (copied) schema. */
export function withSchemaEdit(d: ResourceDef, edit: (schema: JSONSchemaProps) => void): ResourceDef {
  const schema = structuredClone(d.schema);
  edit(schema);
  return { ...d, schema };
}
