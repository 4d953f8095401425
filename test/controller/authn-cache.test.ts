// The verified-token cache of authentication: it only saves recomputing a hash, it never accepts a token the
// stored hash would refuse, and any change to the Token object forces a fresh comparison.
import { expect } from 'chai';
import type { Token } from '@hyprbox/crds';
import { VerifiedTokens } from '@hyprbox/controller/auth/authn';
import { hashToken, newToken } from '@hyprbox/controller/auth/tokens';

const tokenObject = (name: string, plaintext: string): Token =>
  ({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: { name }, spec: { user: 'alice' }, status: { sha256: hashToken(plaintext) } }) as unknown as Token;

describe('VerifiedTokens', () => {
  it('accepts the right secret (again from the cache) and never a wrong one with the same name', () => {
    const v = new VerifiedTokens();
    const { name, token } = newToken();
    const stored = tokenObject(name, token);
    expect(v.matches(token, stored)).to.equal(true);
    expect(v.matches(token, stored)).to.equal(true);
    const forged = `hbx_${name}_${'A'.repeat(43)}`;
    expect(v.matches(forged, stored)).to.equal(false);
    expect(v.matches(token, undefined)).to.equal(false);
  });

  it('compares afresh once the Token object is replaced (a revoke, a new secret under the same name)', () => {
    const v = new VerifiedTokens();
    const { name, token } = newToken();
    expect(v.matches(token, tokenObject(name, token))).to.equal(true);
    const other = newToken().token;
    // Same name, another hash: the cached match belonged to the old object and does not count.
    expect(v.matches(token, tokenObject(name, other))).to.equal(false);
  });

  it('stays within its bound, dropping the oldest entry first', () => {
    const v = new VerifiedTokens(2);
    const t = [newToken(), newToken(), newToken()].map((x) => ({ ...x, obj: tokenObject(x.name, x.token) }));
    for (const x of t) expect(v.matches(x.token, x.obj)).to.equal(true);
    const size = (v as unknown as { byPresented: Map<string, Token> }).byPresented.size;
    expect(size).to.equal(2);
    expect([...(v as unknown as { byPresented: Map<string, Token> }).byPresented.keys()]).to.deep.equal([t[1]!.token, t[2]!.token]);
  });
});
