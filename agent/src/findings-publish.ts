// Publishes the scanners' findings as Finding objects of this node (spec.source: scanner), upserted by
// (node, type, key) under the name the controller derives from them (findingName, @hyprbox/crds).
//
// - New: created (spec), then its status opened (firstSeen, lastSeen, history).
// - Still seen: spec rewritten only when severity, message or details changed; status.lastSeen only when it is
//   older than HYPRBOX_FINDING_REFRESH — the controller resolves a scanner finding whose lastSeen is older
//   than --finding-stale-seconds (default 1 h), so refresh + scan interval must stay below that.
// - Resolved before and seen again: reopened.
// - Absent from an evaluation (every evaluation is over the latest value of every probe field) and not
//   covered by an unknown: resolved, by this agent, with the reason in the history.
// The recommendation (spec.recommendation) is the controller's to fill from Preset.spec.resolves.
import { findingName } from '@hyprbox/crds/findings';
import type { Finding } from '@hyprbox/crds';
import type { Logger } from 'pino';
import { Backoff } from './backoff.js';
import { merge } from './controller-api.js';
import type { CustomObjectsClient } from './custom-objects.js';
import type { FindingDraft, ScanOutcome } from './findings-scan.js';
import { GROUP, VERSION } from './kube.js';

const HISTORY_MAX = 20;
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface PublisherOptions {
  custom: CustomObjectsClient;
  namespace: string;
  nodeName: string;
  refreshMs: number;
  log: Logger;
  now?: () => Date;
}

type History = NonNullable<NonNullable<Finding['status']>['history']>;

export class FindingsPublisher {
  /** This node's scanner findings as last read or written; undefined = read them again first. */
  private known: Map<string, Finding> | undefined;
  private running: Promise<void> | undefined;
  private queued: { outcome: ScanOutcome; full: boolean } | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff(1000, 60_000);
  private failing = false;
  private readonly by: string;

  constructor(private readonly o: PublisherOptions) {
    this.by = `hyprnode@${o.nodeName}`;
  }

  /** Publishes an evaluation; calls made while one is in flight are coalesced into the latest. */
  publish(outcome: ScanOutcome, full: boolean): Promise<void> {
    this.queued = { outcome, full: full || (this.queued?.full ?? false) };
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
  }

  private async drain(): Promise<void> {
    while (this.queued) {
      const { outcome, full } = this.queued;
      this.queued = undefined;
      try {
        await this.apply(outcome, full);
        if (this.failing) this.o.log.info('findings: the controller answers again');
        this.failing = false;
        this.backoff.reset();
      } catch (err) {
        this.known = undefined; // read the truth again next time
        if (!this.failing) this.o.log.error({ err: (err as Error).message, code: (err as { code?: number }).code }, 'findings: could not publish the scanner findings; retrying with backoff');
        this.failing = true;
        if (this.retry) clearTimeout(this.retry);
        this.retry = setTimeout(() => void this.publish(outcome, true), this.backoff.next());
        this.retry.unref();
      }
    }
  }

  private ns(): { group: string; version: string; namespace: string; plural: string } {
    return { group: GROUP, version: VERSION, namespace: this.o.namespace, plural: 'findings' };
  }

  private async list(): Promise<Map<string, Finding>> {
    const list = (await this.o.custom.listNamespacedCustomObject(this.ns())) as { items: Finding[] };
    const mine = list.items.filter((f) => f.spec.nodeName === this.o.nodeName && f.spec.source === 'scanner');
    return new Map(mine.map((f) => [f.metadata!.name!, f]));
  }

  private async apply(outcome: ScanOutcome, full: boolean): Promise<void> {
    if (full || !this.known) this.known = await this.list();
    const known = this.known;
    const now = (this.o.now ?? (() => new Date()))();
    const seen = new Set<string>();
    for (const d of outcome.findings) {
      const name = findingName(this.o.nodeName, d.type, d.key);
      if (seen.has(name)) continue;
      seen.add(name);
      known.set(name, await this.upsert(name, d, known.get(name), now));
    }
    for (const [name, f] of known) {
      if (seen.has(name) || f.status?.phase === 'Resolved') continue;
      const covered = outcome.unknown.some((u) => u.type === f.spec.type && (u.key === undefined || u.key === f.spec.key));
      if (covered) continue;
      known.set(name, await this.setStatus(f, now, { phase: 'Resolved', resolvedAt: iso(now) }, 'no longer detected by the scan'));
    }
  }

  private async upsert(name: string, d: FindingDraft, current: Finding | undefined, now: Date): Promise<Finding> {
    const spec = { nodeName: this.o.nodeName, type: d.type, key: d.key, severity: d.severity, source: 'scanner' as const, message: d.message, ...(d.details ? { details: d.details } : {}) };
    if (!current) {
      let created: Finding;
      try {
        created = (await this.o.custom.createNamespacedCustomObject({ ...this.ns(), body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Finding', metadata: { name, namespace: this.o.namespace }, spec } })) as Finding;
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
        // Written before (a list that was behind): take it and go on as an update.
        created = (await this.o.custom.getNamespacedCustomObject({ ...this.ns(), name })) as Finding;
        return this.upsert(name, d, created, now);
      }
      return this.setStatus(created, now, { phase: 'Open', firstSeen: iso(now), lastSeen: iso(now) }, d.message);
    }
    let f = current;
    const same = (['severity', 'message'] as const).every((k) => f.spec[k] === spec[k]) && JSON.stringify(f.spec.details ?? null) === JSON.stringify(spec.details ?? null);
    if (!same) {
      // A replace, not a merge patch: details are replaced whole; the controller's recommendation is kept.
      f = (await this.o.custom.replaceNamespacedCustomObject({ ...this.ns(), name, body: { ...f, spec: { ...f.spec, ...spec, ...(spec.details ? {} : { details: undefined }) } } })) as Finding;
    }
    if (f.status?.phase === 'Resolved' || f.status?.phase === undefined) {
      return this.setStatus(f, now, { phase: 'Open', lastSeen: iso(now), resolvedAt: null, ...(f.status?.firstSeen ? {} : { firstSeen: iso(now) }) }, `detected again: ${d.message}`);
    }
    const last = Date.parse(f.status.lastSeen ?? '');
    if (!(now.getTime() - last < this.o.refreshMs)) return this.setStatus(f, now, { lastSeen: iso(now) });
    return f;
  }

  /** A merge patch of the status; a phase change is recorded in the history (capped, as the controller does). */
  private async setStatus(f: Finding, now: Date, patch: Record<string, unknown>, message?: string): Promise<Finding> {
    const status: Record<string, unknown> = { ...patch };
    if (typeof patch.phase === 'string' && patch.phase !== f.status?.phase) {
      const entry = { phase: patch.phase, time: iso(now), by: this.by, ...(message ? { message: message.slice(0, 1000) } : {}) } as History[number];
      status.history = [...(f.status?.history ?? []), entry].slice(-HISTORY_MAX);
    }
    return (await this.o.custom.patchNamespacedCustomObjectStatus({ ...this.ns(), name: f.metadata!.name!, body: { status } }, merge)) as Finding;
  }
}
