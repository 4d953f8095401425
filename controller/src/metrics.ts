// Prometheus metrics of the controller (GET /metrics): what it serves, what it holds, and the fleet it
// reconciles, for the Prometheus an MSP already runs. Gauges are read at scrape time from what the controller
// keeps in memory anyway (watch caches, informers, work queues); a request costs one counter and one
// histogram step. Label values come from closed sets (verbs, kinds, enums, namespaces), never from paths.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Obj } from './api/admission.js';

/** What the gauges read when Prometheus scrapes. */
export interface MetricsSources {
  /** Per kind: watches served from its cache (client watches and the controller's informers), bytes held. */
  caches(): Array<{ resource: string; watchers: number; heldBytes: number }>;
  currentRevision(): Promise<number>;
  /** True while the store refuses writes (a failed commit, etcd out of space). */
  writeFailing(): boolean;
  /** The controller's informers and work queues, once the reconcilers run. */
  reconcile?(): Reconciling | undefined;
}

export interface Reconciling {
  nodes: Obj[];
  findings: Obj[];
  runs: Obj[];
  queues: Array<{ name: string; depth: number; failing: number }>;
}

/** The metrics text format's content type (version 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'verb' | 'resource' | 'subresource' | 'code'>;
  private readonly duration: Histogram<'verb' | 'resource' | 'subresource'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'hyprbox_api_requests_total',
      help: 'API requests answered, by verb (Kubernetes verbs; the HTTP method elsewhere), resource (plural; empty outside the resource API), subresource and HTTP code.',
      labelNames: ['verb', 'resource', 'subresource', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'hyprbox_api_request_duration_seconds',
      help: 'Time from a request arriving to its answer ending, by verb, resource and subresource. Watches and run logs are left out (they last as long as the client wants).',
      labelNames: ['verb', 'resource', 'subresource'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: 'hyprbox_api_watches',
      help: 'Watches being served, by resource: client watches and the controller\'s own informers.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const c of sources.caches()) this.set({ resource: c.resource }, c.watchers);
      },
    });
    new Gauge({
      name: 'hyprbox_watch_cache_bytes',
      help: 'Bytes of recent events each resource\'s watch cache holds for watches resuming from a revision.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const c of sources.caches()) this.set({ resource: c.resource }, c.heldBytes);
      },
    });
    new Gauge({
      name: 'hyprbox_store_revision',
      help: 'The store\'s current revision (it rises with every write).',
      registers,
      async collect() {
        this.set(await sources.currentRevision());
      },
    });
    new Gauge({
      name: 'hyprbox_store_write_failing',
      help: '1 while the store refuses writes (disk full, I/O error, etcd out of space), until a write succeeds.',
      registers,
      collect() {
        this.set(sources.writeFailing() ? 1 : 0);
      },
    });
    const fleet = (name: string, help: string, labelNames: string[], of: (r: Reconciling) => Obj[], labels: (o: Obj) => Record<string, string>) =>
      new Gauge({
        name, help, labelNames, registers,
        collect() {
          this.reset();
          const r = sources.reconcile?.();
          if (!r) return;
          for (const o of of(r)) this.inc({ namespace: o.metadata.namespace ?? '', ...labels(o) });
        },
      });
    fleet('hyprbox_nodes', 'Nodes, by namespace, Ready condition (True, False, Unknown) and health bucket.', ['namespace', 'ready', 'health'], (r) => r.nodes, (n) => {
      const status = n.status as { conditions?: Array<{ type?: string; status?: string }>; health?: string } | undefined;
      return { ready: status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown', health: status?.health ?? '' };
    });
    fleet('hyprbox_findings', 'Findings, by namespace, severity and phase (Open, AwaitingApproval, Remediating, Resolved, Failed, Snoozed).', ['namespace', 'severity', 'phase'], (r) => r.findings, (f) => ({
      severity: String((f.spec as { severity?: string } | undefined)?.severity ?? ''),
      phase: String((f.status as { phase?: string } | undefined)?.phase ?? 'Open'),
    }));
    fleet('hyprbox_runs', 'Runs kept, by namespace and phase.', ['namespace', 'phase'], (r) => r.runs, (run) => ({
      phase: String((run.status as { phase?: string } | undefined)?.phase ?? 'Pending'),
    }));
    const queue = (name: string, help: string, value: (q: Reconciling['queues'][number]) => number) =>
      new Gauge({
        name, help, labelNames: ['queue'], registers,
        collect() {
          this.reset();
          for (const q of sources.reconcile?.()?.queues ?? []) this.set({ queue: q.name }, value(q));
        },
      });
    queue('hyprbox_reconcile_queue_depth', 'Keys waiting for a reconciler, by work queue.', (q) => q.depth);
    queue('hyprbox_reconcile_retrying', 'Keys whose last reconcile failed and that are being retried with backoff, by work queue.', (q) => q.failing);
  }

  /** Counts an answered request; `seconds` is left out for long-running ones. */
  observe(what: { verb: string; resource: string; subresource: string }, code: number, seconds: number | undefined): void {
    this.requests.inc({ ...what, code: String(code) });
    if (seconds !== undefined) this.duration.observe(what, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
