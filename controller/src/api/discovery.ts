// Legacy (non-aggregated) API discovery documents: what `kubectl` and client-go read from /version,
// /api, /api/v1, /apis and /apis/<group>/<version> to map kinds and resources. Pure builders; the
// express handlers serve them as `application/json` (not the aggregated
// `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` type, which clients would then
// expect to parse as an APIGroupDiscoveryList).
import { API_VERSION, GROUP, VERSION } from '@hyprbox/crds';
import type { ResourceDef } from '@hyprbox/crds';
import { READ_ONLY_RESOURCES } from '../auth/authz.js';

/** The Kubernetes minor version this API server claims; kubectl warns on a skew of more than one. */
export const KUBE_MAJOR = '1';
export const KUBE_MINOR = '32';
export const KUBE_VERSION = `v${KUBE_MAJOR}.${KUBE_MINOR}.0`;

export const APIEXTENSIONS_GROUP = 'apiextensions.k8s.io';
export const APIEXTENSIONS_VERSION = 'v1';
export const APIEXTENSIONS_GROUP_VERSION = `${APIEXTENSIONS_GROUP}/${APIEXTENSIONS_VERSION}`;

/** Verbs of every HyprBox kind's collection/item endpoints. */
export const RESOURCE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Verbs of a `<plural>/status` subresource. */
export const STATUS_VERBS = ['get', 'patch', 'update'];
/** Verbs of the core Namespace resource as HyprBox serves it. */
export const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** Verbs of the read-only CustomResourceDefinition resource. */
export const CRD_VERBS = ['get', 'list', 'watch'];

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface APIResourceList {
  kind: 'APIResourceList';
  apiVersion?: 'v1';
  groupVersion: string;
  resources: APIResource[];
}

export interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroup {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

export interface APIGroupList {
  kind: 'APIGroupList';
  apiVersion: 'v1';
  groups: APIGroup[];
}

export interface APIVersions {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: Array<{ clientCIDR: string; serverAddress: string }>;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * `GET /version`. `version` is the HyprBox package version (e.g. '0.1.0'); gitVersion becomes
 * `v1.32.0-hyprbox.0.1.0`, a valid semver that kubectl's skew check parses as 1.32.
 * goVersion and compiler name the runtime honestly (Node.js), which no client interprets.
 */
export function versionInfo(version: string, opts: { gitCommit?: string; buildDate?: string } = {}): VersionInfo {
  const pre = version.replace(/^v/, '').replace(/[^0-9A-Za-z.-]/g, '-');
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: `${KUBE_VERSION}-hyprbox.${pre}`,
    gitCommit: opts.gitCommit ?? '',
    gitTreeState: opts.gitCommit ? 'clean' : '',
    buildDate: opts.buildDate ?? '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}

/**
 * `GET /api`. `serverAddress` is `host:port` as clients reach the server (pass the request's Host);
 * clients do not use it, but the field is required by the type.
 */
export function coreApiVersions(serverAddress = ''): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `GET /api/v1`: only namespaces (cluster-scoped, short name `ns`). */
export function coreV1Resources(): APIResourceList {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'namespaces',
        singularName: 'namespace',
        namespaced: false,
        kind: 'Namespace',
        verbs: [...NAMESPACE_VERBS],
        shortNames: ['ns'],
      },
    ],
  };
}

function groupVersion(group: string, version: string): GroupVersionForDiscovery {
  return { groupVersion: `${group}/${version}`, version };
}

/**
 * `GET /apis`: the group(s) of the given kinds (always including hyprbox.io/v1alpha1) first — kubectl
 * prefers earlier groups when a short name is ambiguous — then apiextensions.k8s.io/v1.
 */
export function apiGroupList(defs: readonly ResourceDef[]): APIGroupList {
  const versionsByGroup = new Map<string, string[]>([[GROUP, [VERSION]]]);
  for (const d of defs) {
    const versions = versionsByGroup.get(d.group) ?? [];
    if (!versions.includes(d.version)) versions.push(d.version);
    versionsByGroup.set(d.group, versions);
  }
  versionsByGroup.delete(APIEXTENSIONS_GROUP);
  const groups: APIGroup[] = [...versionsByGroup].map(([name, versions]) => ({
    name,
    versions: versions.map((v) => groupVersion(name, v)),
    preferredVersion: groupVersion(name, versions[0] as string),
  }));
  for (const name of [APIEXTENSIONS_GROUP, ...Object.keys(REVIEW_GROUPS)]) {
    groups.push({ name, versions: [groupVersion(name, 'v1')], preferredVersion: groupVersion(name, 'v1') });
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** The self reviews (reviews.ts), by group: create only, nothing stored. */
const REVIEW_GROUPS: Record<string, Array<[string, string]>> = {
  'authorization.k8s.io': [['selfsubjectaccessreviews', 'SelfSubjectAccessReview'], ['selfsubjectrulesreviews', 'SelfSubjectRulesReview']],
  'authentication.k8s.io': [['selfsubjectreviews', 'SelfSubjectReview']],
};

/** `GET /apis/authorization.k8s.io/v1` and `/apis/authentication.k8s.io/v1`; undefined for other groups. */
export function reviewResources(group: string): APIResourceList | undefined {
  const kinds = Object.hasOwn(REVIEW_GROUPS, group) ? REVIEW_GROUPS[group]! : undefined;
  if (!kinds) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/v1`,
    resources: kinds.map(([name, kind]) => ({ name, singularName: kind.toLowerCase(), namespaced: false, kind, verbs: ['create'] })),
  };
}

/** The discovery entries of one kind: the resource, then `<plural>/status` when it has that subresource. */
export function resourceEntries(def: ResourceDef): APIResource[] {
  const main: APIResource = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: READ_ONLY_RESOURCES.has(def.plural) ? ['get', 'list', 'watch'] : [...RESOURCE_VERBS],
  };
  if (def.shortNames.length > 0) main.shortNames = [...def.shortNames];
  if (def.categories.length > 0) main.categories = [...def.categories];
  const out = [main];
  if (def.hasStatus) {
    out.push({ name: `${def.plural}/status`, singularName: '', namespaced: def.namespaced, kind: def.kind, verbs: [...STATUS_VERBS] });
  }
  return out;
}

/**
 * `GET /apis/<group>/<version>` (hyprbox.io/v1alpha1 unless given): an entry per kind of that group
 * version, sorted by plural, plus `<plural>/status` entries.
 */
export function groupResources(defs: readonly ResourceDef[], gv: string = API_VERSION): APIResourceList {
  const resources = defs
    .filter((d) => `${d.group}/${d.version}` === gv)
    .slice()
    .sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0))
    .flatMap(resourceEntries);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

/** `GET /apis/apiextensions.k8s.io/v1`: customresourcedefinitions, read-only. */
export function apiextensionsResources(): APIResourceList {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: APIEXTENSIONS_GROUP_VERSION,
    resources: [
      {
        name: 'customresourcedefinitions',
        singularName: 'customresourcedefinition',
        namespaced: false,
        kind: 'CustomResourceDefinition',
        verbs: [...CRD_VERBS],
        shortNames: ['crd', 'crds'],
      },
    ],
  };
}
