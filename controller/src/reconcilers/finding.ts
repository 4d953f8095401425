// Findings over time: each points at a preset that resolves its type (the recommendation); a snooze ends at
// its time; a scanner finding its node stopped reporting is resolved as stale.
import type { Obj } from '../api/admission.js';
import { isoSeconds } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Informer } from '../reconcile/informer.js';
import type { Result } from '../reconcile/controller.js';

interface FStatus {
  phase?: string;
  snoozedUntil?: string;
  lastSeen?: string;
  resolvedAt?: string;
  history?: Array<{ phase: string; time: string; by?: string; message?: string }>;
}

export class FindingReconciler {
  readonly name = 'finding';
  constructor(private readonly d: { findings: Informer; presets: Informer; repo: Repository; staleSeconds: number; now(): Date }) {}

  /** The preset whose spec.resolves names this type (by name, for a stable answer). */
  recommend(type: string): string | undefined {
    return this.d.presets.list().filter((p) => ((p.spec as { resolves?: string[] }).resolves ?? []).includes(type)).map((p) => p.metadata.name!).sort()[0];
  }

  async reconcile(key: string): Promise<Result | void> {
    const f = this.d.findings.get(key);
    if (!f) return;
    const now = this.d.now();
    const spec = f.spec as { type: string; source?: string; recommendation?: { preset: string } };
    const st = structuredClone((f.status ?? {}) as FStatus);
    let next: Obj | undefined;
    const move = (phase: string, message: string): void => {
      st.phase = phase;
      st.history = [...(st.history ?? []), { phase, time: isoSeconds(now), by: 'hyprbox-controller', message }].slice(-20);
      if (phase === 'Resolved') st.resolvedAt = isoSeconds(now);
      next = { ...(next ?? f), status: st };
    };
    const preset = spec.recommendation ? undefined : this.recommend(spec.type);
    if (preset) {
      next = { ...f, spec: { ...spec, recommendation: { preset } }, metadata: { ...f.metadata, generation: (f.metadata.generation ?? 1) + 1 } };
    }
    let requeueAt: number | undefined;
    if (st.phase === 'Snoozed' && st.snoozedUntil) {
      const until = Date.parse(st.snoozedUntil);
      if (until <= now.getTime()) move('Open', 'the snooze ended');
      else requeueAt = until;
    }
    if (spec.source === 'scanner' && st.phase !== 'Resolved' && st.phase !== 'Snoozed' && st.lastSeen) {
      const staleAt = Date.parse(st.lastSeen) + this.d.staleSeconds * 1000;
      if (staleAt <= now.getTime()) move('Resolved', `its node has not reported it since ${st.lastSeen}`);
      else requeueAt = Math.min(requeueAt ?? Infinity, staleAt);
    }
    if (next) await this.d.repo.update(next, Number(f.metadata.resourceVersion));
    return requeueAt !== undefined ? { requeueAfterMs: Math.max(500, requeueAt - now.getTime()) } : undefined;
  }
}
