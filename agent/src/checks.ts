// Preset check scripts the controller assigned to this node (the Node's hyprbox.io/checks annotation, each
// entry signed by the controller for this node): run on the scan schedule with their timeout, reported as
// `check.<preset>` — exit 0 compliant, exit 1 drifted, anything else unknown. An entry whose signature does
// not verify against the pinned key is not run.
import { verify } from 'node:crypto';
import { checkSigningPayload } from '@hyprbox/crds/signing';
import type { Logger } from 'pino';
import { ok, unknown } from './probes/index.js';
import type { Probe, ProbeResult } from './probes/index.js';
import { paramsEnv } from './runner/runner.js';
import { runStep } from './runner/step.js';

export const CHECKS_ANNOTATION = 'hyprbox.io/checks';

interface Assigned {
  preset: string;
  script: string;
  timeoutSeconds: number;
  params: Record<string, unknown>;
  signature?: string;
}

export class CheckScripts implements Probe {
  readonly name = 'check';
  private assigned: Assigned[] = [];
  private raw: string | undefined;

  constructor(
    private readonly o: { signingKey: string | undefined; hostRoot: string; log: Logger },
  ) {}

  /** Takes the node's current annotation; returns true when the assignment changed. */
  update(node: { metadata?: { namespace?: string; name?: string; uid?: string; annotations?: Record<string, string> } }): boolean {
    const raw = node.metadata?.annotations?.[CHECKS_ANNOTATION];
    if (raw === this.raw) return false;
    this.raw = raw;
    let list: Assigned[] = [];
    try {
      list = raw ? (JSON.parse(raw) as Assigned[]) : [];
    } catch {
      this.o.log.warn('the checks annotation is not valid JSON; no check scripts run');
    }
    this.assigned = list.filter((c) => {
      const good = this.o.signingKey !== undefined && typeof c.signature === 'string' && verify(null, Buffer.from(checkSigningPayload({ metadata: node.metadata ?? {} }, c)), this.o.signingKey, Buffer.from(c.signature, 'base64'));
      if (!good) this.o.log.warn({ preset: c.preset }, 'refusing a check script that is not signed by the controller for this node');
      return good;
    });
    return true;
  }

  async watches(): Promise<string[]> {
    return [];
  }

  async collect(): Promise<ProbeResult> {
    const out: ProbeResult = {};
    for (const c of this.assigned) {
      const env = paramsEnv(c.params);
      if ('error' in env) {
        out[`check.${c.preset}`] = unknown(env.error);
        continue;
      }
      const r = await runStep({ name: 'check', script: c.script, timeoutSeconds: c.timeoutSeconds }, { env: env.vars, onOutput: () => undefined, signal: new AbortController().signal, hostRoot: this.o.hostRoot });
      out[`check.${c.preset}`] = r.ended
        ? unknown(`check script ${r.message ?? r.ended}`)
        : r.exitCode === 0 ? ok('compliant')
        : r.exitCode === 1 ? ok('drifted')
        : unknown(`check script exited ${r.exitCode} (0 means compliant, 1 drifted)`);
    }
    return out;
  }
}
