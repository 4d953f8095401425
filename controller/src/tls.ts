// Serving TLS. kubectl never sends a bearer token over plain HTTP, so HTTPS is the default: on first start a
// private CA and a serving certificate for the listen address are generated into <data-dir>/tls and reused;
// the CA goes into the admin kubeconfig. Operators may bring their own certificate and key instead.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { writeSecretFile } from './auth/bootstrap.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA that signed `cert`, when the controller generated it (goes into kubeconfigs). */
  caCert?: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']) as Promise<CryptoKey>;
}

/** The names a serving certificate must cover for a listen host. */
export function servingNames(listenHost: string): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  if (listenHost !== '0.0.0.0' && listenHost !== '::') names.add(listenHost);
  return [...names];
}

function covers(certPem: string, names: string[], now: number): boolean {
  const cert = new x509.X509Certificate(certPem);
  if (cert.notAfter.getTime() - now < 30 * DAY) return false;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.items ?? []).map((n) => n.value));
  return names.every((n) => have.has(n));
}

/** Loads or creates the CA and a serving certificate covering `names`, under `dir` (owner-only files). */
export async function ensureAutoTls(dir: string, names: string[], now = Date.now()): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  let caCert: string;
  let caKey: CryptoKey;
  if (existsSync(paths.caCert) && existsSync(paths.caKey)) {
    caCert = readFileSync(paths.caCert, 'utf8');
    caKey = await importKey(readFileSync(paths.caKey, 'utf8'));
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex'),
      name: 'CN=hyprbox-ca',
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caCert = ca.toString('pem');
    caKey = keys.privateKey;
    writeSecretFile(paths.caKey, pemKey((await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer));
    writeSecretFile(paths.caCert, caCert);
  }
  if (existsSync(paths.cert) && existsSync(paths.key) && covers(readFileSync(paths.cert, 'utf8'), names, now)) {
    return { cert: readFileSync(paths.cert, 'utf8'), key: readFileSync(paths.key, 'utf8'), caCert };
  }
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issuer = new x509.X509Certificate(caCert);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex'),
    subject: 'CN=hyprbox-controller',
    issuer: issuer.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
    ],
  });
  const certPem = cert.toString('pem');
  const keyPem = pemKey((await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer);
  writeSecretFile(paths.key, keyPem);
  writeSecretFile(paths.cert, certPem);
  return { cert: certPem, key: keyPem, caCert };
}

export function loadTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  const read = (what: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`tls ${what} ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  return { cert: read('certificate', certFile), key: read('key', keyFile) };
}
