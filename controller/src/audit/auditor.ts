// The audit trail: every mutating or denied request (and every command execution an agent reports) becomes
// an AuditEvent, stored with a lease so it expires after the retention period (the generic API serves it
// like any other kind), and appended as one JSON line to the audit log file. Metadata only: bodies are never
// recorded. record() never throws and never waits: entries are queued and written in order in the
// background, a burst at a time (one file write, one store transaction per burst); flush() waits for them.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION } from '@hyprbox/crds';
import type { AuditEvent } from '@hyprbox/crds';
import { isoSeconds } from '../api/admission.js';
import { openAuditFile } from './audit-file.js';
import { MAX_CREATE_MANY, StoreUnavailableError } from '../store/types.js';
import type { CreateEntry, Store } from '../store/types.js';

/** Store key prefix of the AuditEvents (the generic API's key layout for a cluster-scoped kind). */
export const AUDIT_PREFIX = '/registry/hyprbox.io/auditevents/';

export interface AuditUser {
  name: string;
  kind: 'User' | 'Node';
  /** For agents: the node their token is bound to, as namespace/name. */
  node?: string;
}

export interface AuditExecution {
  /** Name of the Preset the run was rendered from. */
  preset: string;
  /** Digest of the scripts that ran (sha256:<hex>). */
  scriptDigest: string;
  /** Exit code of each step that ended, in the order the steps ran. */
  exitCodes: Array<{ step: string; code: number }>;
}

export interface AuditEntry {
  /** Absent when the request carried no valid credential. */
  user?: AuditUser;
  /** Kubernetes verb (create, update, ...), or execute for an agent's command execution. */
  verb: string;
  /** Plural of the resource; '' when the request named none (see path). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** URL path of the request, without the query. */
  path?: string;
  /** HTTP status code of the response. */
  code: number;
  requestId: string;
  sourceAddress: string;
  userAgent?: string;
  /** Why the request was denied (e.g. "invalid token"), or the Status reason of another failure (Conflict, ...). */
  reason?: string;
  execution?: AuditExecution;
}

export interface Auditor {
  /** Queues the entry; never throws and never waits. Entries after close() are dropped (and logged). */
  record(entry: AuditEntry): void;
  /** Resolves when everything recorded so far is in the store and in the file (or has failed and been logged). */
  flush(): Promise<void>;
  /** Flushes, then closes the file. */
  close(): Promise<void>;
}

export interface AuditorOptions {
  store: Store;
  /** The JSON-lines file; created (mode 0600, directory 0700) on the first entry. */
  file: string;
  /** Size past which the file is rotated (audit-file.ts); 0 or absent never rotates. */
  fileMaxBytes?: number;
  /** Rotated files kept; 0 or absent keeps all. */
  fileMaxBackups?: number;
  /** How long AuditEvents stay in the store. */
  retentionSeconds: number;
  log: Logger;
  /** Clock of the events' time (tests). */
  now?: () => Date;
  /** Entries waiting for the store (or the file) beyond which new ones are dropped and logged. Default 10000. */
  maxQueue?: number;
}

// Length caps, matching the maxLength of the fields in crds/definitions/auditevent.yaml.
const MAX = {
  verb: 64,
  resource: 253,
  subresource: 253,
  namespace: 253,
  name: 253,
  path: 2048,
  requestId: 128,
  sourceAddress: 64,
  userAgent: 512,
  reason: 256,
  userNode: 317,
  preset: 253,
  scriptDigest: 128,
  step: 64,
} as const;

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** Events written before the current lease is replaced by a new one share it (so not one lease per event). */
function leaseBucketSeconds(retentionSeconds: number): number {
  return Math.min(60, Math.max(1, Math.floor(retentionSeconds / 10)));
}

/**
 * A queue worked through in order, a burst at a time: everything queued (up to `maxBatch`) is handed over at
 * once, so one file write or one store transaction serves a whole burst and the lane keeps up with the API.
 */
class Lane<T> {
  private readonly items: T[] = [];
  private running: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly max: number,
    private readonly maxBatch: number,
    private readonly work: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** False when the lane is full and the item was dropped. */
  push(item: T): boolean {
    if (this.items.length >= this.max) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    this.running ??= this.drain();
    return true;
  }

  private async drain(): Promise<void> {
    // Wait for the rest of this I/O phase first: the requests that end in it join the burst. Started at once,
    // the drain would take one entry per burst, and the store one transaction per request.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.items.length) {
        const batch = this.items.splice(0, this.maxBatch);
        try {
          await this.work(batch);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

/** An AuditEvent with its JSON, serialised once for both the file and the store. */
interface Encoded {
  name: string;
  json: string;
}

export function createAuditor(o: AuditorOptions): Auditor {
  const { store, file, log } = o;
  if (!(o.retentionSeconds > 0)) throw new Error(`audit retention must be a positive number of seconds (got ${o.retentionSeconds})`);
  const retention = Math.ceil(o.retentionSeconds);
  const bucket = leaseBucketSeconds(retention);
  const now = o.now ?? (() => new Date());
  const maxQueue = o.maxQueue ?? 10_000;
  let closed = false;

  // Names sort by time, then by the order of record() within one millisecond; the random tail keeps names
  // of several controllers apart.
  let lastMs = NaN;
  let stamp = '';
  let seq = 0;
  // Random bytes drawn a pool at a time: one randomBytes() call per name cost more than the rest of the name.
  let pool = Buffer.alloc(0);
  let used = 0;
  const randomTail = (n: number): string => {
    if (used + n > pool.length) {
      pool = randomBytes(1024);
      used = 0;
    }
    let s = '';
    for (let i = 0; i < n; i++) s += (pool[used++]! % 36).toString(36);
    return s;
  };
  const nameFor = (time: Date): string => {
    const ms = time.getTime();
    if (ms === lastMs) seq += 1;
    else {
      stamp = time.toISOString().replace(/\D/g, '').slice(0, 17); // yyyymmddhhmmssSSS
      lastMs = ms;
      seq = 0;
    }
    return `${stamp}-${seq.toString(36).padStart(3, '0')}${randomTail(5)}`;
  };

  const opt = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v !== '' ? cut(v, max) : undefined);

  /** The AuditEvent of an entry, its fields in the order of the CRD (so every line of the file reads alike). */
  const toEvent = (e: AuditEntry): AuditEvent => {
    const time = now();
    const fields = {
      user: e.user
        ? { name: String(e.user.name), kind: e.user.kind === 'Node' ? 'Node' as const : 'User' as const, node: opt(e.user.node, MAX.userNode) }
        : undefined,
      verb: cut(String(e.verb), MAX.verb),
      resource: cut(String(e.resource ?? ''), MAX.resource),
      subresource: opt(e.subresource, MAX.subresource),
      namespace: opt(e.namespace, MAX.namespace),
      name: opt(e.name, MAX.name),
      path: opt(e.path, MAX.path),
      code: Number.isInteger(e.code) ? e.code : 0,
      requestId: cut(String(e.requestId ?? ''), MAX.requestId),
      sourceAddress: cut(String(e.sourceAddress ?? ''), MAX.sourceAddress),
      userAgent: opt(e.userAgent, MAX.userAgent),
      reason: opt(e.reason, MAX.reason),
      execution: e.execution
        ? {
            preset: cut(String(e.execution.preset), MAX.preset),
            scriptDigest: cut(String(e.execution.scriptDigest), MAX.scriptDigest),
            exitCodes: (e.execution.exitCodes ?? []).map((x) => ({ step: cut(String(x.step), MAX.step), code: Math.trunc(Number(x.code)) })),
          }
        : undefined,
    };
    // JSON.stringify leaves out the undefined ones (and the user's absent node).
    return {
      apiVersion: API_VERSION,
      kind: 'AuditEvent',
      metadata: { name: nameFor(time), uid: randomUUID(), creationTimestamp: isoSeconds(time), generation: 1 },
      time: time.toISOString(),
      ...fields,
    };
  };

  const auditFile = openAuditFile({ file, maxBytes: o.fileMaxBytes ?? 0, maxBackups: o.fileMaxBackups ?? 0, log, ...(o.now ? { now: o.now } : {}) });
  const appendLines = async (evs: Encoded[]): Promise<void> => {
    try {
      await auditFile.append(Buffer.from(evs.map((e) => `${e.json}\n`).join('')));
    } catch (err) {
      log.error({ err, file, auditEvent: evs[0]!.name, entries: evs.length }, 'audit: could not append to the audit log');
    }
  };

  // The store: one lease per bucket of time, granted for retention + bucket so that every event lives at
  // least the retention period.
  let lease: { id: number; until: number } | undefined;
  const leaseId = async (): Promise<number> => {
    const t = Date.now();
    if (lease && t < lease.until) return lease.id;
    const id = await store.grantLease(retention + bucket);
    lease = { id, until: t + bucket * 1000 };
    return id;
  };
  // A burst goes to the store as one transaction (MAX_CREATE_MANY events at most; the lane cuts bigger ones).
  const storeEvents = async (evs: Encoded[]): Promise<void> => {
    const entries = (lease: number): CreateEntry[] => evs.map((e) => ({ key: AUDIT_PREFIX + e.name, value: e.json, lease }));
    const attempt = async () => {
      try {
        return await store.createMany(entries(await leaseId()));
      } catch (first) {
        if (first instanceof StoreUnavailableError) throw first;
        // The lease may be gone (revoked, or expired while the queue was long): once more with a new one.
        lease = undefined;
        return await store.createMany(entries(await leaseId()));
      }
    };
    let results;
    // While the store is away (an etcd outage) the batch waits and is tried again, unless the auditor is
    // closing; entries arriving meanwhile queue up to maxQueue, and the file keeps every one of them.
    for (let wait = 500; ; wait = Math.min(2 * wait, 5000)) {
      try {
        results = await attempt();
        break;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError) || closed) {
          log.error({ err, auditEvent: evs[0]!.name, entries: evs.length }, 'audit: could not store the audit event');
          return;
        }
        if (wait === 500) log.warn({ err: err.message, entries: evs.length }, 'audit: the store is unavailable; holding audit events until it is back');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    results.forEach((r, i) => {
      if (!r.ok) log.error({ auditEvent: evs[i]!.name }, 'audit: an audit event of that name already exists');
    });
  };

  const dropped = (what: string, lane: Lane<Encoded>) => {
    if (lane.dropped === 1 || lane.dropped % 1000 === 0) {
      log.error({ dropped: lane.dropped, maxQueue }, `audit: ${what} is falling behind; audit entries dropped`);
    }
  };
  const fileLane = new Lane<Encoded>(maxQueue, maxQueue, appendLines, (err) => log.error({ err }, 'audit: file writer failed'));
  const storeLane = new Lane<Encoded>(maxQueue, MAX_CREATE_MANY, storeEvents, (err) => log.error({ err }, 'audit: store writer failed'));

  const flush = async (): Promise<void> => {
    await Promise.all([fileLane.idle(), storeLane.idle()]);
  };

  return {
    record(entry) {
      try {
        if (closed) {
          log.warn({ verb: entry.verb, resource: entry.resource, requestId: entry.requestId }, 'audit: entry after close dropped');
          return;
        }
        const ev = toEvent(entry);
        const encoded: Encoded = { name: ev.metadata.name!, json: JSON.stringify(ev) };
        if (!fileLane.push(encoded)) dropped('the audit log file', fileLane);
        if (!storeLane.push(encoded)) dropped('the store', storeLane);
      } catch (err) {
        try {
          log.error({ err }, 'audit: could not record an entry');
        } catch {
          // never throw into the request
        }
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
      await auditFile.close();
    },
  };
}
