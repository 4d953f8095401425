// Users, tokens and role bindings as the access commands show and write them (docs/SECURITY.md has the rules;
// the server enforces them, so a refused write is the server's 403, exit 4).
import type { Obj } from './client.js';
import { CliError, EXIT } from './errors.js';
import { age, columns } from './output.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A user, node or binding name as the server will accept it (checked here so nothing is sent). */
export function checkName(what: string, name: string): string {
  if (name.length > 253 || !DNS1123.test(name)) throw new CliError(`${what}: "${name}" is not a valid name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`, EXIT.usage);
  return name;
}

/**
 * The Token object's name from what a user has at hand: the name itself, `token/<name>`, or the plaintext
 * `hbx_<name>_<secret>` (whose name part is the object's name). The secret part is never echoed.
 */
export function tokenName(arg: string): string {
  const bare = arg.replace(/^(tokens?|tok)\//, '');
  if (bare.startsWith('hbx_')) {
    const m = /^hbx_([a-z0-9]+)_/.exec(bare);
    if (!m) throw new CliError('argument looks like a token but is not one of the form hbx_<name>_<secret>', EXIT.usage);
    return m[1]!;
  }
  return checkName('token', bare);
}

/** Absolute expiry from --expires-in (already in milliseconds), RFC 3339 without milliseconds. */
export const expiryFrom = (ms: number, now = Date.now()): string => new Date(now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The deterministic name of a binding: `<user>-<role>` cluster-wide, `<user>-<role>-<ns>` in a namespace. */
export const bindingName = (user: string, role: Role, namespace?: string): string => `${user}-${role}${namespace ? `-${namespace}` : ''}`;

export function parseRole(raw: string): Role {
  if (!(ROLES as readonly string[]).includes(raw)) throw new CliError(`--role: must be one of ${ROLES.join(', ')} (got "${raw}")`, EXIT.usage);
  return raw as Role;
}

type Spec<T> = T & Record<string, unknown>;
const spec = <T>(o: Obj): Spec<T> => (o.spec ?? {}) as Spec<T>;
const dash = (v: unknown): string => (v === undefined || v === null || v === '' ? '-' : String(v));

export function tokenTable(items: Obj[], now = Date.now()): string {
  const rows = items.map((t) => {
    const s = spec<{ user?: string; node?: { namespace: string; name: string }; description?: string; expiresAt?: string; revoked?: boolean }>(t);
    const st = (t.status ?? {}) as { lastUsedTime?: string };
    const expired = s.expiresAt !== undefined && Date.parse(s.expiresAt) <= now;
    const state = s.revoked ? 'revoked' : expired ? 'expired' : 'active';
    return [t.metadata.name!, s.node ? `node ${s.node.namespace}/${s.node.name}` : `user ${dash(s.user)}`, state, dash(s.expiresAt), st.lastUsedTime ? age(st.lastUsedTime, now) : '-', age(t.metadata.creationTimestamp as string | undefined, now), dash(s.description)];
  });
  return columns(['NAME', 'FOR', 'STATE', 'EXPIRES', 'LAST USED', 'AGE', 'DESCRIPTION'], rows);
}

/** Each user with the roles its bindings grant (`admin`, `operator@acme`). */
export function userTable(users: Obj[], bindings: Obj[], now = Date.now()): string {
  const rows = users.map((u) => {
    const s = spec<{ displayName?: string; email?: string; disabled?: boolean }>(u);
    const roles = bindings
      .map((b) => spec<{ user: string; role: string; namespace?: string }>(b))
      .filter((b) => b.user === u.metadata.name)
      .map((b) => (b.namespace ? `${b.role}@${b.namespace}` : b.role))
      .sort();
    return [u.metadata.name!, dash(s.displayName), dash(s.email), s.disabled ? 'true' : 'false', roles.join(',') || '-', age(u.metadata.creationTimestamp as string | undefined, now)];
  });
  return columns(['NAME', 'DISPLAY NAME', 'EMAIL', 'DISABLED', 'ROLES', 'AGE'], rows);
}

export function bindingTable(items: Obj[], now = Date.now()): string {
  const rows = items.map((b) => {
    const s = spec<{ user: string; role: string; namespace?: string }>(b);
    return [b.metadata.name!, s.user, s.role, s.namespace ?? '(cluster)', age(b.metadata.creationTimestamp as string | undefined, now)];
  });
  return columns(['NAME', 'USER', 'ROLE', 'SCOPE', 'AGE'], rows);
}
