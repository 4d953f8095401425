// GET /hyprbox/v1/whoami: the authenticated principal and its roles, for clients (the CLI stamps approvals
// with the caller's name; the TUI hides keys a viewer may not use). Authorization still happens per request.
import type { Grants, Principal } from '../auth/authz.js';

export interface WhoAmI {
  kind: 'User' | 'Node';
  name: string;
  /** Cluster-wide role of a user, if any. */
  clusterRole?: string;
  /** Roles of a user per namespace. */
  namespaceRoles?: Record<string, string>;
  /** The node an agent token is bound to. */
  node?: { namespace: string; name: string };
}

export function whoami(p: Principal, g: Grants | undefined): WhoAmI {
  if (p.kind === 'Node') return { kind: 'Node', name: p.name, node: p.node };
  return { kind: 'User', name: p.name, ...(g?.cluster ? { clusterRole: g.cluster } : {}), namespaceRoles: Object.fromEntries(g?.namespaces ?? []) };
}
