// Authentication: bearer token → principal. Unknown, malformed, expired, revoked, disabled-user and
// wrong-node tokens all end the same way (undefined → one identical 401), so a caller learns nothing.
import type { Token } from '@hyprbox/crds';
import type { Principal } from './authz.js';
import type { AuthIndex } from './index-cache.js';
import { tokenMatches, tokenName } from './tokens.js';

export interface Authenticated {
  principal: Principal;
  /** Set when an agent token must now be bound to the uid of the Node it found. */
  bindNodeUid?: string;
  token: Token;
}

/**
 * Which presented token matched which stored Token object, so the SHA-256 is not recomputed on every request.
 * An entry counts only while that very object is still the indexed one: any change to the Token (revoked,
 * expiry edited, deleted, re-created) replaces the object and forces a fresh comparison. Every other check
 * (revoked, expired, user disabled, node binding) still runs on every request, so the cache never lets a
 * token live longer. Bounded: past `max` entries the oldest goes.
 */
export class VerifiedTokens {
  private readonly byPresented = new Map<string, Token>();
  constructor(private readonly max = 10_000) {}

  /** Whether this very token was verified before (no hashing): a throttled address still lets it through. */
  knows(presented: string, token: Token | undefined): boolean {
    return token !== undefined && this.byPresented.get(presented) === token;
  }

  matches(presented: string, token: Token | undefined): boolean {
    if (token && this.byPresented.get(presented) === token) return true;
    // Compare even when there is no such token, so both paths take the same time.
    const ok = tokenMatches(presented, token?.status?.sha256 ?? '0'.repeat(64));
    if (ok && token) {
      this.byPresented.delete(presented);
      if (this.byPresented.size >= this.max) this.byPresented.delete(this.byPresented.keys().next().value!);
      this.byPresented.set(presented, token);
    }
    return ok;
  }
}

export function authenticateToken(index: AuthIndex, verified: VerifiedTokens, presented: string, now: Date): Authenticated | undefined {
  const name = tokenName(presented);
  const token = name ? index.tokens.get(name) : undefined;
  if (!verified.matches(presented, token) || !token) return undefined;
  if (token.spec.revoked || token.metadata.deletionTimestamp) return undefined;
  if (token.spec.expiresAt && Date.parse(token.spec.expiresAt) <= now.getTime()) return undefined;
  if (token.spec.user) {
    const user = index.users.get(token.spec.user);
    if (!user || user.spec?.disabled) return undefined;
    return { principal: { kind: 'User', name: token.spec.user }, token };
  }
  if (token.spec.node) {
    const { namespace, name: node } = token.spec.node;
    const live = index.nodeUids.get(`${namespace}/${node}`);
    const bound = token.status?.nodeUID;
    // Bound to a Node that is gone or was re-created: the token died with it.
    if (bound && bound !== live) return undefined;
    const principal: Principal = { kind: 'Node', name: `node:${namespace}/${node}`, node: { namespace, name: node }, token: token.metadata.name! };
    return { principal, token, ...(!bound && live ? { bindNodeUid: live } : {}) };
  }
  return undefined;
}
