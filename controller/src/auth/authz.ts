// Authorization: who may do what. Deny by default; every allowed case is listed here and nowhere else, and
// docs/SECURITY.md carries the same matrix (a test checks every route × verb × principal against it).
import type { RoleBinding } from '@hyprbox/crds';

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export type Principal =
  | { kind: 'User'; name: string }
  | { kind: 'Node'; name: string; node: { namespace: string; name: string }; token: string };

export interface Attributes {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  /** Plural of the resource (`nodes`, `namespaces`, `customresourcedefinitions`, ...). */
  resource: string;
  namespaced: boolean;
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'log';
}

/** A field the object must have for an agent's request (applied to lists, reads and writes). */
export interface Constraint {
  field: 'metadata.name' | 'spec.nodeName';
  value: string;
  /** Findings an agent writes must be its own scanner findings. */
  scannerOnly?: boolean;
}

export type Decision = { allowed: true; constraint?: Constraint } | { allowed: false; reason: string };

const READ = new Set(['get', 'list', 'watch']);
/** Kinds nobody writes through the API (the server writes audit events itself); discovery lists them read-only. */
export const READ_ONLY_RESOURCES: ReadonlySet<string> = new Set(['auditevents', 'customresourcedefinitions']);
const WRITE = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** The roles a user holds: cluster-wide and per namespace. */
export interface Grants {
  cluster?: Role;
  namespaces: Map<string, Role>;
}

const higher = (a: Role | undefined, b: Role | undefined): Role | undefined =>
  !a ? b : !b ? a : RANK[a] >= RANK[b] ? a : b;

export function grantsOf(user: string, bindings: Iterable<RoleBinding>): Grants {
  const g: Grants = { namespaces: new Map() };
  for (const b of bindings) {
    if (b.spec.user !== user || b.metadata.deletionTimestamp) continue;
    const role = b.spec.role as Role;
    if (b.spec.namespace) g.namespaces.set(b.spec.namespace, higher(g.namespaces.get(b.spec.namespace), role)!);
    else g.cluster = higher(g.cluster, role);
  }
  return g;
}

/** The role that applies in a namespace (the higher of the cluster-wide and the namespace's). */
export function roleIn(g: Grants, namespace: string | undefined): Role | undefined {
  return namespace === undefined ? g.cluster : higher(g.cluster, g.namespaces.get(namespace));
}

export const atLeast = (role: Role | undefined, min: Role): boolean => role !== undefined && RANK[role] >= RANK[min];

const deny = (reason: string): Decision => ({ allowed: false, reason });
const allow: Decision = { allowed: true };

/** What an operator may write, per namespaced resource (viewers only read; admins write everything). */
const OPERATOR_WRITES: Record<string, { main: Set<string>; status: Set<string> }> = {
  nodeprofiles: { main: WRITE, status: new Set() },
  nodes: { main: new Set(['create', 'update', 'patch', 'delete']), status: new Set() },
  runs: { main: new Set(['update', 'patch']), status: new Set() },
  findings: { main: new Set(['update', 'patch']), status: new Set(['update', 'patch']) },
  events: { main: new Set(['create', 'update', 'patch']), status: new Set() },
};

/** Cluster-scoped kinds anyone with a role somewhere may read. */
const CLUSTER_PUBLIC_READ = new Set(['presets', 'namespaces', 'customresourcedefinitions']);

function authorizeUser(g: Grants, a: Attributes): Decision {
  const anyRole = g.cluster !== undefined || g.namespaces.size > 0;
  if (!anyRole) return deny('no role is bound to this user');
  if (a.namespaced) {
    // A list or watch across every namespace needs a cluster-wide role.
    const role = roleIn(g, a.namespace);
    if (!role) return deny(a.namespace ? `no role in namespace ${a.namespace}` : 'listing every namespace needs a cluster-wide role');
    if (READ.has(a.verb)) return allow;
    if (role === 'admin') return allow;
    if (role === 'operator') {
      const w = OPERATOR_WRITES[a.resource];
      if (w && a.subresource !== 'log' && (a.subresource ? w.status : w.main).has(a.verb)) return allow;
    }
    return deny(`role ${role} cannot ${a.verb} ${a.resource}${a.subresource ? '/' + a.subresource : ''}`);
  }
  // Cluster-scoped kinds.
  if (READ.has(a.verb)) {
    if (CLUSTER_PUBLIC_READ.has(a.resource)) return allow;
    if (a.resource === 'tokens' || a.resource === 'auditevents') {
      return atLeast(g.cluster, 'admin') ? allow : deny(`only a cluster admin can read ${a.resource}`);
    }
    return atLeast(g.cluster, 'viewer') ? allow : deny(`reading ${a.resource} needs a cluster-wide role`);
  }
  if (READ_ONLY_RESOURCES.has(a.resource)) return deny(`${a.resource} are read-only`);
  // Tokens and bindings are checked again against the object (escalation.ts): here, only who may try.
  if (a.resource === 'tokens' && (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch' || a.verb === 'delete')) return allow;
  if (a.resource === 'rolebindings' && a.verb !== 'deletecollection') {
    return g.cluster === 'admin' || [...g.namespaces.values()].includes('admin') ? allow : deny('only an admin can change role bindings');
  }
  return atLeast(g.cluster, 'admin') ? allow : deny(`only a cluster admin can ${a.verb} ${a.resource}`);
}

/** An agent: its own Node, its own Runs and scanner Findings, events in its namespace, presets to read. */
function authorizeNode(p: Extract<Principal, { kind: 'Node' }>, a: Attributes): Decision {
  const own = p.node;
  // A node token presented under another node's name is refused outright (403), not just filtered.
  if ((a.resource === 'nodes' || a.resource === 'leases') && a.name !== undefined && a.name !== own.name) {
    return deny(`this token belongs to node ${own.namespace}/${own.name}, not ${a.name}`);
  }
  if (a.resource === 'presets') return READ.has(a.verb) ? allow : deny('agents only read presets');
  if (!a.namespaced || a.namespace !== own.namespace) return deny(`an agent only acts in its node's namespace ${own.namespace}`);
  switch (a.resource) {
    case 'nodes':
      if (a.subresource === 'status') return a.verb === 'get' || a.verb === 'update' || a.verb === 'patch' ? { allowed: true, constraint: { field: 'metadata.name', value: own.name } } : deny('agents update only their node status');
      if (READ.has(a.verb) || a.verb === 'create') return { allowed: true, constraint: { field: 'metadata.name', value: own.name } };
      return deny("agents cannot change a node's spec");
    case 'leases':
      return READ.has(a.verb) || a.verb === 'create' || a.verb === 'update' || a.verb === 'patch'
        ? { allowed: true, constraint: { field: 'metadata.name', value: own.name } }
        : deny('agents only renew their own lease');
    case 'runs':
      if (a.subresource === 'log') return a.verb === 'get' || a.verb === 'create' ? { allowed: true, constraint: { field: 'spec.nodeName', value: own.name } } : deny('agents append to the log of their runs');
      if (a.subresource === 'status') return a.verb === 'get' || a.verb === 'update' || a.verb === 'patch' ? { allowed: true, constraint: { field: 'spec.nodeName', value: own.name } } : deny('agents write only the status of their runs');
      if (READ.has(a.verb)) return { allowed: true, constraint: { field: 'spec.nodeName', value: own.name } };
      return deny('agents cannot create or change runs');
    case 'findings':
      if (READ.has(a.verb)) return { allowed: true, constraint: { field: 'spec.nodeName', value: own.name } };
      if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') {
        return { allowed: true, constraint: { field: 'spec.nodeName', value: own.name, scannerOnly: true } };
      }
      return deny('agents cannot delete findings');
    case 'events':
      return a.verb === 'create' || a.verb === 'patch' || a.verb === 'update' ? allow : deny('agents only write events');
    default:
      return deny(`agents cannot ${a.verb} ${a.resource}`);
  }
}

export function authorize(p: Principal, grants: Grants | undefined, a: Attributes): Decision {
  if (p.kind === 'Node') return authorizeNode(p, a);
  return authorizeUser(grants ?? { namespaces: new Map() }, a);
}

/** Reads a dotted field of an object for constraint checks. */
export function fieldOf(obj: unknown, field: Constraint['field']): unknown {
  let cur: unknown = obj;
  for (const k of field.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

export function satisfies(obj: unknown, c: Constraint): boolean {
  if (fieldOf(obj, c.field) !== c.value) return false;
  if (c.scannerOnly && fieldOf(obj, 'spec.source' as Constraint['field']) !== 'scanner') return false;
  return true;
}
