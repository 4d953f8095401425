// Runs catalog presets directly on a test host, the way the agent does: each step's script on bash's stdin,
// the params (schema defaults filled in, as the controller renders a Run) as environment variables, the steps
// in the agent's order (precheck, apply, verify; rollback when verify fails). Never on this machine.
import { defaultParams } from '@hyprbox/controller/catalog/params';
import { loadCatalog } from '@hyprbox/controller/catalog/sync';
import type { Obj } from '@hyprbox/controller/api/admission';
import { paramsEnv } from '@hyprbox/agent/runner/runner';
import { repoPath } from '../lib/paths.js';
import type { ExecResult, TestHost } from '../lib/testhost.js';

type Step = 'check' | 'precheck' | 'apply' | 'verify' | 'rollback';
export interface StepRun extends ExecResult {
  step: Step;
}

let catalog: Map<string, Obj> | undefined;
/** The catalog in presets/, read the way the controller syncs it (errors fail the caller). */
export async function presets(): Promise<Map<string, Obj>> {
  if (!catalog) {
    const { presets: list, errors } = await loadCatalog(repoPath('presets'));
    if (errors.length) throw new Error(`presets/ has errors:\n${errors.join('\n')}`);
    catalog = new Map(list.map((p) => [p.metadata.name!, p]));
  }
  return catalog;
}

export async function preset(name: string): Promise<Obj> {
  const p = (await presets()).get(name);
  if (!p) throw new Error(`no preset ${name} in presets/`);
  return p;
}

const scriptOf = (p: Obj, step: Step): { script: string; timeoutSeconds?: number } | undefined =>
  (p.spec as Record<string, { script: string; timeoutSeconds?: number } | undefined>)[step];

/** One step of a preset on the host; undefined when the preset has no such step. */
export async function runStep(host: TestHost, name: string, step: Step, params: Record<string, unknown> = {}): Promise<StepRun | undefined> {
  const p = await preset(name);
  const s = scriptOf(p, step);
  if (!s) return undefined;
  const env = paramsEnv(defaultParams(p, params));
  if ('error' in env) throw new Error(env.error);
  const r = await host.exec(['bash', '-s'], { input: s.script, env: { LANG: 'C.UTF-8', HYPRBOX_STEP: step, ...env.vars }, timeoutMs: (s.timeoutSeconds ?? 600) * 1000 });
  return { step, ...r };
}

/** The check's exit code: 0 compliant, 1 drifted, anything else unknown. */
export async function check(host: TestHost, name: string, params: Record<string, unknown> = {}): Promise<StepRun> {
  const r = await runStep(host, name, 'check', params);
  if (!r) throw new Error(`${name} has no check script`);
  return r;
}

/** A whole run: the steps that ran, the last one telling how it ended. */
export async function runPreset(host: TestHost, name: string, params: Record<string, unknown> = {}): Promise<{ ok: boolean; steps: StepRun[]; log: string }> {
  const steps: StepRun[] = [];
  for (const step of ['precheck', 'apply', 'verify'] as const) {
    const r = await runStep(host, name, step, params);
    if (!r) continue;
    steps.push(r);
    if (r.code !== 0) {
      if (step === 'verify') {
        const rb = await runStep(host, name, 'rollback', params);
        if (rb) steps.push(rb);
      }
      break;
    }
  }
  const last = steps[steps.length - 1];
  const ok = last !== undefined && last.code === 0 && steps.every((s) => s.code === 0) && (last.step === 'verify' || last.step === 'apply');
  const log = steps.map((s) => `--- ${name}/${s.step} (exit ${s.code})\n${s.stdout}${s.stderr}`).join('\n');
  return { ok, steps, log };
}
