// Node liveness: agents renew a Lease named after their Node every few seconds; a Node whose lease is older
// than the grace period is marked Ready=False (reason NodeLost), and Ready=True again when renewals resume.
// A Node without a lease yet is left alone (unknown is not down).
import type { Logger } from 'pino';
import { Reason } from '@hyprbox/crds';
import type { Obj } from '../api/admission.js';
import { setCondition } from './conditions.js';
import { recordEvent } from './events.js';
import type { Repository } from '../api/repository.js';

export interface NodeLifecycleOptions {
  leases: Repository;
  nodes: Repository;
  /** Where NodeLost/NodeReady Events go (optional). */
  events?: Repository;
  /** Seconds without a renewal after which a node is lost (default 40). */
  graceSeconds: number;
  /** How often to check, in ms (default 5000). */
  intervalMs?: number;
  now?: () => Date;
  log: Logger;
}

/** Sets the Ready condition; returns false when it already says the same (nothing to write). */
export function setReady(node: Obj, status: 'True' | 'False', reason: string, message: string, now: Date): boolean {
  const st = (node.status ??= {}) as Record<string, unknown>;
  const ready = (st.conditions as Array<{ type: string; status: string; reason: string }> | undefined)?.find((c) => c.type === 'Ready');
  // Liveness flips are what matter; a new message alone (the age) is not worth a write.
  if (ready && ready.status === status && ready.reason === reason) return false;
  return setCondition(st, 'Ready', status, reason, message, node.metadata.generation ?? 1, now);
}

export class NodeLifecycle {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => Date;

  constructor(private readonly o: NodeLifecycleOptions) {
    this.now = o.now ?? (() => new Date());
  }

  start(): void {
    // A pass that fails (the store away) is logged; the next tick starts afresh.
    this.timer = setInterval(() => void this.tick().catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, 'node lifecycle pass failed')), this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** One pass over every lease; exported for tests (with an injected clock). */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.now();
    const { items } = await this.o.leases.list({ namespace: undefined });
    for (const lease of items) {
      const renewed = Date.parse((lease.spec as { renewTime?: string }).renewTime ?? '');
      const ns = lease.metadata.namespace!;
      const name = lease.metadata.name!;
      const age = (now.getTime() - renewed) / 1000;
      const lost = !Number.isFinite(renewed) || age > this.o.graceSeconds;
      try {
        const node = await this.o.nodes.get(ns, name);
        if (!node) continue;
        const changed = lost
          ? setReady(node, 'False', Reason.NodeLost, `no heartbeat for ${Math.round(age)} s (grace ${this.o.graceSeconds} s)`, now)
          : setReady(node, 'True', Reason.NodeReady, 'the agent is renewing its lease', now);
        if (changed) {
          await this.o.nodes.update(node, Number(node.metadata.resourceVersion));
          this.o.log.info({ node: `${ns}/${name}`, ready: !lost }, lost ? 'node lost' : 'node ready');
          if (this.o.events) {
            await recordEvent(this.o.events, lost
              ? { involved: node, type: 'Warning', reason: Reason.NodeLost, message: `no heartbeat for more than ${this.o.graceSeconds} s` }
              : { involved: node, type: 'Normal', reason: Reason.NodeReady, message: 'the agent is renewing its lease' }, now);
          }
        }
      } catch (err) {
        // A conflict or a vanished node: the next pass sees the fresh state.
        this.o.log.debug({ node: `${ns}/${name}`, err: (err as Error).message }, 'node lifecycle update skipped');
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
