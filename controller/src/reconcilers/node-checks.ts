// Which check scripts a node's agent must run: every state of every profile matching the node whose preset
// has a check script. Written to the Node as an annotation (preset → params), which the agent watches; it runs
// each script on its scan schedule and reports `check.<preset>` as compliant, drifted or unknown.
import { defaultParams } from '../catalog/params.js';
import type { Obj } from '../api/admission.js';
import type { Repository } from '../api/repository.js';
import type { Informer } from '../reconcile/informer.js';
import type { Result } from '../reconcile/controller.js';
import { checkSigningPayload } from '@hyprbox/crds';
import { matchesProfile } from './nodeprofile.js';
import type { ProfileSpec } from './nodeprofile.js';

export const CHECKS_ANNOTATION = 'hyprbox.io/checks';

export interface AssignedCheck {
  preset: string;
  script: string;
  timeoutSeconds: number;
  params: Record<string, unknown>;
  /** ed25519 over checkSigningPayload(): agents run only checks the controller signed for their node. */
  signature?: string;
}

export function desiredChecks(node: Obj, profiles: Obj[], presetOf: (name: string) => Obj | undefined): AssignedCheck[] {
  const out = new Map<string, AssignedCheck>();
  for (const p of [...profiles].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) {
    const spec = p.spec as ProfileSpec;
    if (spec.suspend || !matchesProfile(spec, node)) continue;
    for (const s of spec.states ?? []) {
      const preset = presetOf(s.preset);
      const check = (preset?.spec as { check?: { script?: string; timeoutSeconds?: number } } | undefined)?.check;
      // The first profile (by name) that sets a preset decides its params: one check per preset and node.
      if (!check?.script || out.has(s.preset)) continue;
      out.set(s.preset, { preset: s.preset, script: check.script, timeoutSeconds: check.timeoutSeconds ?? 60, params: defaultParams(preset!, s.with ?? {}) });
    }
  }
  return [...out.values()];
}

export class NodeChecksReconciler {
  readonly name = 'node-checks';
  constructor(private readonly d: { nodes: Informer; profiles: Informer; presets: Informer; repo: Repository; sign(payload: string): string }) {}

  async reconcile(key: string): Promise<Result | void> {
    const node = this.d.nodes.get(key);
    if (!node) return;
    const wanted = desiredChecks(node, this.d.profiles.list(node.metadata.namespace), (n) => this.d.presets.get(n))
      .map((c) => ({ ...c, signature: this.d.sign(checkSigningPayload(node, c)) }));
    const value = wanted.length ? JSON.stringify(wanted) : undefined;
    if (node.metadata.annotations?.[CHECKS_ANNOTATION] === value) return;
    const current = await this.d.repo.get(node.metadata.namespace, node.metadata.name!);
    if (!current) return;
    const annotations = { ...(current.metadata.annotations ?? {}) };
    if (value === undefined) delete annotations[CHECKS_ANNOTATION];
    else annotations[CHECKS_ANNOTATION] = value;
    await this.d.repo.update({ ...current, metadata: { ...current.metadata, annotations } }, Number(current.metadata.resourceVersion));
  }
}
