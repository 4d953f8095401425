// The controller's run-signing key: one ed25519 key pair, created in the data dir on first start and reused,
// and signRun, which stamps a Run with an expiry and the signature agents check (crds verifyRun) before they
// execute anything. Whoever can read signing.key can make every agent run code as root: it is owner-only.
import { randomBytes, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { runSigningPayload } from '@hyprbox/crds';
import type { SignableRun } from '@hyprbox/crds';

export const SIGNING_KEY_FILE = 'signing.key';

export interface SigningKey {
  privateKey: KeyObject;
  /** SPKI PEM of the public key, handed to agents at enrollment. */
  publicKeyPem: string;
}

/**
 * Loads `<dataDir>/signing.key` (PKCS#8 PEM), or creates it when absent: written to a temporary file with
 * mode 0600 and fsynced, then moved into place without replacing a key another process created meanwhile
 * (link; rename where the filesystem has no hard links), so a crash never leaves a partial key and two
 * controllers starting at once end up with the same key. An existing file readable by group or others is
 * narrowed to 0600. Throws when the file is not an ed25519 private key: replacing it would silently
 * invalidate every signed run and enrolled agent.
 */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, SIGNING_KEY_FILE);
  let pem = readIfExists(path);
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    create(path, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    pem = readIfExists(path);
    if (pem === undefined) throw new Error(`${path}: vanished right after it was written`);
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${path}: not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${path}: holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key, expected ed25519`);
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKeyPem };
}

/**
 * Returns a copy of `run` with spec.expiresAt = now + ttlSeconds (RFC 3339, whole seconds, UTC) and
 * spec.signature = base64 ed25519 signature over runSigningPayload. The run must already carry its
 * metadata.uid and namespace (they are signed; the agent needs the uid to refuse replays), so sign after
 * the uid is assigned and before the run is stored.
 */
export function signRun<T extends SignableRun>(
  run: T,
  key: SigningKey | KeyObject,
  o: { now: Date; ttlSeconds: number },
): T {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('signRun needs an ed25519 private key');
  }
  if (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive integer, got ${o.ttlSeconds}`);
  }
  if (!run.metadata?.uid || !run.metadata.namespace) {
    throw new Error('signRun: the run needs metadata.uid and metadata.namespace before it is signed');
  }
  if (!run.spec) throw new Error('signRun: the run has no spec');
  const expiresMs = Math.floor(o.now.getTime() / 1000) * 1000 + o.ttlSeconds * 1000;
  if (!Number.isFinite(expiresMs)) throw new RangeError('signRun: invalid now');
  const signed = structuredClone(run);
  const spec = signed.spec!;
  spec.expiresAt = new Date(expiresMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  delete spec.signature;
  spec.signature = sign(null, Buffer.from(runSigningPayload(signed), 'utf8'), privateKey).toString('base64');
  return signed;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function create(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    try {
      linkSync(tmp, path); // fails with EEXIST instead of replacing a key created meanwhile
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      renameSync(tmp, path);
    }
    syncDir(dirname(path));
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed into place
    }
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every platform can fsync a directory; the key itself is on disk
  }
}
