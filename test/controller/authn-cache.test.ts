// The verified-token cache of authentication: it only saves recomputing a hash, it never accepts a token the
// stored hash would refuse, and any change to the Token object forces a fresh comparison.
import { expect } from 'chai';
import type { Token } from '@hyprbox/crds';
import { pino } from 'pino';
import { VerifiedTokens } from '@hyprbox/controller/auth/authn';
import { AuthIndex } from '@hyprbox/controller/auth/index-cache';
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

describe('auth index bookkeeping', () => {
  it('remembers revisions of the kinds it keeps only, and of at most 10,000 deleted objects', () => {
    const index = new AuthIndex({} as never, pino({ level: 'silent' }));
    const obj = (name: string, rv: number) => ({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'X', metadata: { name, namespace: 'acme', resourceVersion: String(rv), uid: name } });
    for (let i = 0; i < 5000; i++) index.apply('findings', obj(`f${i}`, i + 1), i % 2 === 0);
    expect(index.tracked).to.equal(0);
    for (let i = 0; i < 12_000; i++) {
      index.apply('nodes', obj(`n${i}`, 2 * i + 1), false);
      index.apply('nodes', obj(`n${i}`, 2 * i + 2), true);
    }
    expect(index.tracked).to.equal(10_000);
    expect(index.nodeUids.size).to.equal(0);
    // A late event for a recently deleted node does not bring it back.
    index.apply('nodes', obj('n11999', 10), false);
    expect(index.nodeUids.size).to.equal(0);
  });
});
