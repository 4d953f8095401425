// Run signatures, shared by the controller (which signs) and the agent (which verifies before it runs anything
// as root). The signature is ed25519 over runSigningPayload(run): a canonical JSON text (keys sorted by UTF-16
// code unit, no whitespace, as RFC 8785 for the values a Run holds) of exactly the fields that decide what a
// host executes and where: metadata.uid, metadata.namespace, spec.nodeName, spec.preset, spec.presetDigest, the
// scriptDigest of spec.steps, spec.params and spec.expiresAt. Approval, cancel, risk, labels and status are
// not signed: they change after signing or do not change what runs.
//
// The agent must execute exactly the object it verified (the steps it hashed), not a copy fetched again.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** Seconds a step may run when it names no timeoutSeconds (the CRD default); see scriptDigest. */
export const DEFAULT_STEP_TIMEOUT_SECONDS = 30 * 60;

/** The parts of a Run the signature covers; a Run (generated type) is one. */
export interface SignableRun {
  metadata?: { uid?: string; namespace?: string };
  spec?: {
    nodeName?: string;
    preset?: string;
    presetDigest?: string;
    params?: Record<string, unknown>;
    steps?: ReadonlyArray<SignableStep>;
    expiresAt?: string;
    signature?: string;
  };
}

export interface SignableStep {
  name: string;
  script: string;
  timeoutSeconds?: number;
}

export type RunRefusalReason = 'Unsigned' | 'Tampered' | 'Expired' | 'Replayed' | 'WrongKey';

export type RunVerification = { ok: true } | { ok: false; reason: RunRefusalReason; message: string };

export interface VerifyRunOptions {
  now: Date;
  /** True when this uid already ran here (the agent remembers executed uids across restarts). */
  executed?: (uid: string) => boolean;
}

/**
 * SHA-256 (lower-case hex) over the steps in order. Each step is framed as the canonical JSON array
 * [name, script, timeoutSeconds] and the steps as one JSON array of those, so no two different step lists
 * share an encoding. An absent timeoutSeconds counts as the CRD default (1800), so defaulting by the store
 * after signing does not break the signature and the value the agent applies is the value signed.
 */
export function scriptDigest(steps: ReadonlyArray<SignableStep> | undefined): string {
  if (steps !== undefined && !Array.isArray(steps)) throw new TypeError('spec.steps must be an array');
  const framed = (steps ?? []).map((s, i) => {
    if (s === null || typeof s !== 'object') throw new TypeError(`spec.steps[${i}] must be an object`);
    return [s.name ?? null, s.script ?? null, s.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS];
  });
  return createHash('sha256').update(canonicalJson(framed), 'utf8').digest('hex');
}

/**
 * The exact text that is signed. Absent fields are null (params: {}), so removing a field is a change.
 * Throws a TypeError when a covered field holds something JSON cannot represent (NaN, a function, a cycle).
 */
export function runSigningPayload(run: SignableRun): string {
  const m = run.metadata ?? {};
  const s = run.spec ?? {};
  return canonicalJson({
    expiresAt: s.expiresAt ?? null,
    namespace: m.namespace ?? null,
    nodeName: s.nodeName ?? null,
    params: s.params ?? {},
    preset: s.preset ?? null,
    presetDigest: s.presetDigest ?? null,
    scriptDigest: scriptDigest(s.steps),
    uid: m.uid ?? null,
  });
}

/**
 * Decides whether an agent may execute `run`, checking in this order: a signature is present (Unsigned), the
 * public key is a usable ed25519 key (WrongKey), the signature verifies over the payload (Tampered; with
 * ed25519 a signature by another key cannot be told from a changed run, so that is Tampered too), the uid
 * has not run here before (Replayed, checked before expiry so an old, already executed run is reported as
 * a replay), and now is before spec.expiresAt (Expired; a missing or unparseable expiry is refused as well).
 */
export function verifyRun(run: SignableRun, publicKeyPem: string, o: VerifyRunOptions): RunVerification {
  const spec = run?.spec;
  const signature = spec?.signature;
  if (typeof signature !== 'string' || signature === '') {
    return refuse('Unsigned', 'run has no spec.signature');
  }
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (err) {
    return refuse('WrongKey', `the public key is not a PEM public key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    return refuse('WrongKey', `the public key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  }
  if (!/^[A-Za-z0-9+/]{86}==$/.test(signature)) {
    return refuse('Tampered', 'spec.signature is not a base64 ed25519 signature');
  }
  let payload: string;
  try {
    payload = runSigningPayload(run);
  } catch (err) {
    return refuse('Tampered', `the signed fields cannot be serialized: ${(err as Error).message}`);
  }
  if (!verifySignature(null, Buffer.from(payload, 'utf8'), key, Buffer.from(signature, 'base64'))) {
    return refuse('Tampered', 'spec.signature does not match the run (changed after signing, or signed by another key)');
  }
  const uid = run.metadata?.uid;
  if (typeof uid !== 'string' || uid === '') {
    return refuse('Tampered', 'run has no metadata.uid, so a replay could not be detected');
  }
  if (o.executed?.(uid) === true) {
    return refuse('Replayed', `run ${uid} has already been executed on this host`);
  }
  const expiresAt = spec?.expiresAt;
  const expiry = typeof expiresAt === 'string' && RFC3339.test(expiresAt) ? Date.parse(expiresAt) : NaN;
  if (!Number.isFinite(expiry)) {
    return refuse('Expired', `run has no valid spec.expiresAt (${JSON.stringify(expiresAt ?? null)})`);
  }
  if (o.now.getTime() >= expiry) {
    return refuse('Expired', `run expired at ${expiresAt} (now ${o.now.toISOString()})`);
  }
  return { ok: true };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function refuse(reason: RunRefusalReason, message: string): RunVerification {
  return { ok: false, reason, message };
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit (Array.prototype.sort), no whitespace, numbers and
 * strings as JSON.stringify writes them (which is what RFC 8785 specifies). Properties whose value is
 * undefined are left out, as JSON.stringify does; anything else JSON cannot carry throws.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, stack: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be serialized`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} cannot be serialized`);
  }
  if (value === null) return 'null';
  if (stack.has(value)) throw new TypeError('a cyclic value cannot be serialized');
  stack.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[' + value.map((v: unknown) => (v === undefined ? 'null' : write(v, stack))).join(',') + ']';
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new TypeError('only plain objects can be serialized');
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(obj).sort()) {
      if (obj[k] === undefined) continue;
      parts.push(JSON.stringify(k) + ':' + write(obj[k], stack));
    }
    out = '{' + parts.join(',') + '}';
  }
  stack.delete(value);
  return out;
}

/**
 * What the controller signs for a check script it assigns to a node: the node (namespace, name, uid), the
 * preset, the script, its timeout and params. An agent runs a check only when this verifies.
 */
export function checkSigningPayload(node: { metadata: { namespace?: string; name?: string; uid?: string } }, c: { preset: string; script: string; timeoutSeconds: number; params: Record<string, unknown> }): string {
  return canonicalJson({ node: `${node.metadata.namespace ?? ''}/${node.metadata.name ?? ''}`, uid: node.metadata.uid ?? null, preset: c.preset, script: c.script, timeoutSeconds: c.timeoutSeconds, params: c.params });
}
