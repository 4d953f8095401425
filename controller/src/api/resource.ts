// A served resource: a ResourceDef (from a CRD, or the built-in Namespace) plus where its objects live in
// the store. Keys follow /registry/<group>/<plural>/[<namespace>/]<name>.
import { loadResources } from '@hyprbox/crds';
import type { ResourceDef } from '@hyprbox/crds';

export interface Resource {
  def: ResourceDef;
  /** apiVersion of its objects: `hyprbox.io/v1alpha1`, or `v1` for core kinds. */
  apiVersion: string;
  /** Store key prefix for all of its objects (ends with '/'). */
  prefix: string;
  /** Field selectors this resource supports. */
  selectableFields: string[];
}

export function resourceOf(def: ResourceDef): Resource {
  const group = def.group || 'core';
  const specProps = def.schema.properties?.spec?.properties ?? {};
  return {
    def,
    apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
    prefix: `/registry/${group}/${def.plural}/`,
    selectableFields: [...new Set([
      'metadata.name',
      ...(def.namespaced ? ['metadata.namespace'] : []),
      ...('nodeName' in specProps ? ['spec.nodeName'] : []),
      ...def.selectableFields,
    ])],
  };
}

/** Key of one object; namespace is ignored for cluster-scoped resources. */
export function objectKey(r: Resource, namespace: string | undefined, name: string): string {
  return r.def.namespaced ? `${r.prefix}${namespace}/${name}` : `${r.prefix}${name}`;
}

/** Prefix of a list: one namespace, or every namespace when `namespace` is undefined. */
export function listPrefix(r: Resource, namespace: string | undefined): string {
  return r.def.namespaced && namespace !== undefined ? `${r.prefix}${namespace}/` : r.prefix;
}

/** The core Namespace kind, described the way a CRD would describe it. */
export const NAMESPACE_DEF: ResourceDef = Object.freeze<ResourceDef>({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  categories: [],
  namespaced: false,
  schema: {
    type: 'object',
    description: 'Namespace provides a scope for names: a tenant (an MSP client) or an environment.',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this object: v1.' },
      kind: { type: 'string', description: 'Kind of this object: Namespace.' },
      metadata: { type: 'object', description: 'Standard object metadata.' },
      spec: {
        type: 'object',
        description: 'Spec of the namespace.',
        properties: {
          finalizers: { type: 'array', items: { type: 'string' }, description: 'Finalizers of the namespace.' },
        },
      },
      status: {
        type: 'object',
        description: 'Status of the namespace.',
        properties: {
          phase: { type: 'string', enum: ['Active', 'Terminating'], description: 'Active or Terminating.' },
        },
      },
    },
  },
  printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Phase' }],
  hasStatus: true,
  selectableFields: ['status.phase'],
  crd: {},
  file: '(built in)',
});

export interface Registry {
  /** Every served resource, HyprBox kinds first. */
  all: Resource[];
  namespaces: Resource;
  byPlural(group: string, plural: string): Resource | undefined;
}

export function createRegistry(defs: readonly ResourceDef[] = loadResources()): Registry {
  const hyprbox = defs.map(resourceOf);
  const namespaces = resourceOf(NAMESPACE_DEF);
  const all = [...hyprbox, namespaces];
  const index = new Map(all.map((r) => [`${r.def.group}/${r.def.plural}`, r]));
  return { all, namespaces, byPlural: (group, plural) => index.get(`${group}/${plural}`) };
}

/** The read-only CustomResourceDefinition endpoint, described as a resource so it is authorized like one. */
export function crdPseudoResource(): Resource {
  return {
    def: { ...NAMESPACE_DEF, group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', listKind: 'CustomResourceDefinitionList', plural: 'customresourcedefinitions', singular: 'customresourcedefinition', shortNames: ['crd', 'crds'], printerColumns: [], hasStatus: false },
    apiVersion: 'apiextensions.k8s.io/v1',
    prefix: '/registry/apiextensions.k8s.io/customresourcedefinitions/',
    selectableFields: ['metadata.name'],
  };
}
