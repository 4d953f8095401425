// tls: the certificates at the configured paths (globs), parsed with node:crypto's X509Certificate.
//
// One field per certificate file, `tls.cert:<path>`: its validity and names, or unknown with why it could not
// be read or parsed (a file that exists but is not a readable certificate is not "fine"). A pattern whose
// directory cannot be listed is `tls.glob:<pattern>` unknown: certificates may be hiding there.
import { X509Certificate } from 'node:crypto';
import { watchDirOf } from './host.js';
import type { HostAccess, Probe, ProbeField, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** RFC 3339 times of the validity period. */
  notBefore: string;
  notAfter: string;
  /** DNS names of the subjectAltName, when there are any. */
  dnsNames: string[];
  fingerprint256: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;

/**
 * The first certificate of a PEM file (the leaf of a fullchain.pem), or why there is none. Pure: no file
 * system, no clock.
 */
export function parseCertificatePem(text: string): { cert: CertificateInfo } | { error: string } {
  const block = PEM_CERT.exec(text)?.[0];
  if (block === undefined) return { error: 'no PEM certificate (-----BEGIN CERTIFICATE-----) in the file' };
  let x: X509Certificate;
  try {
    x = new X509Certificate(block);
  } catch (e) {
    return { error: `not a valid certificate: ${e instanceof Error ? e.message : String(e)}` };
  }
  const dnsNames = (x.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  return {
    cert: {
      subject: x.subject.replace(/\n/g, ', '),
      issuer: x.issuer.replace(/\n/g, ', '),
      notBefore: new Date(x.validFrom).toISOString(),
      notAfter: new Date(x.validTo).toISOString(),
      dnsNames,
      fingerprint256: x.fingerprint256,
    },
  };
}

async function expand(host: HostAccess, patterns: string[]): Promise<{ files: string[]; result: ProbeResult }> {
  const files = new Set<string>();
  const result: ProbeResult = {};
  for (const p of patterns) {
    try {
      for (const f of await host.glob(p)) files.add(f);
    } catch (e) {
      result[`tls.glob:${p}`] = unknown(e instanceof Error ? e.message : String(e));
    }
  }
  return { files: [...files].sort(), result };
}

/** The probe; `paths` is asked at every run (a Node's spec.agentConfig.tlsPaths may replace the default). */
export function tlsProbe(paths: () => string[]): Probe {
  return {
    name: 'tls',
    async watches(host) {
      const { files } = await expand(host, paths());
      return [...new Set([...paths().map((p) => watchDirOf(p) ?? p), ...files])];
    },
    async collect(host) {
      const { files, result } = await expand(host, paths());
      await Promise.all(
        files.map(async (f) => {
          const input = await host.readFile(f);
          let field: ProbeField<CertificateInfo>;
          if (input.content === undefined) field = unknown(input.error ?? `cannot read ${f}`);
          else {
            const parsed = parseCertificatePem(input.content);
            field = 'cert' in parsed ? ok(parsed.cert) : unknown(`${f}: ${parsed.error}`);
          }
          result[`tls.cert:${f}`] = field;
        }),
      );
      return result;
    },
  };
}
