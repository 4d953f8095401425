// `preset show` and `preset render`: a preset's params (from its JSON schema), and the exact scripts and
// environment a run of it gets. Params are checked and defaulted by the controller's own code
// (controller/src/catalog/params.ts), so what passes here passes admission.
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { defaultParams, paramCauses, secretParamsOf } from '@hyprbox/controller/catalog/params';
import type { Obj } from './client.js';
import { CliError, EXIT } from './errors.js';
import type { StatusCause } from './errors.js';
import { columns } from './output.js';

interface ParamSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

interface PresetSpec {
  description?: string;
  risk?: string;
  version?: string;
  resolves?: string[];
  params?: { properties?: Record<string, ParamSchema>; required?: string[] };
  check?: { probes?: Record<string, unknown>; script?: string; timeoutSeconds?: number };
  precheck?: Step;
  apply?: Step;
  verify?: Step;
  rollback?: Step;
}
interface Step {
  script: string;
  timeoutSeconds?: number;
}

/** The steps of a run, in the order the agent may run them (rollback only when verify fails). */
export const RUN_STEPS = ['precheck', 'apply', 'verify', 'rollback'] as const;

const specOf = (p: Obj): PresetSpec => (p.spec ?? {}) as PresetSpec;
const propsOf = (p: Obj): Record<string, ParamSchema> => specOf(p).params?.properties ?? {};

/** Where each param came from, for error messages: `--set`, or file:line:column of a values file. */
export type Sources = Record<string, string>;

/**
 * `--set k=v` values typed by the preset's schema, as a YAML `with:` would give them: a string param keeps
 * `0644` as text; integer/number/boolean params are converted; array/object params are parsed as YAML/JSON.
 * A value that does not convert is kept as text, so the schema check names the param and its type.
 */
export function parseSets(sets: string[], preset: Obj): { values: Record<string, unknown>; sources: Sources } {
  const props = propsOf(preset);
  const values: Record<string, unknown> = {};
  const sources: Sources = {};
  for (const s of sets) {
    const i = s.indexOf('=');
    if (i <= 0) throw new CliError(`--set: "${s}" is not key=value`, EXIT.usage);
    const key = s.slice(0, i);
    const raw = s.slice(i + 1);
    const types = [props[key]?.type ?? 'string'].flat();
    values[key] = types.includes('string') ? raw : convert(raw, types);
    sources[key] = '--set';
  }
  return { values, sources };
}

function convert(raw: string, types: string[]): unknown {
  if ((types.includes('integer') || types.includes('number')) && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (types.includes('array') || types.includes('object')) {
    try {
      return parseYaml(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (types.includes('null') && raw === 'null') return null;
  return raw;
}

/** A values file (`-f`): one YAML mapping of params; syntax errors and duplicate keys name file:line:column. */
export function readValues(file: string): { values: Record<string, unknown>; sources: Sources } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`-f ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT.usage);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): string => `${file}:${lc.linePos(offset).line}:${lc.linePos(offset).col}`;
  const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'DUPLICATE_KEY')].map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new CliError(problems.join('\n'), EXIT.usage);
  if (doc.contents === null) return { values: {}, sources: {} };
  if (!isMap(doc.contents)) throw new CliError(`${at(doc.contents.range?.[0] ?? 0)}: a values file must be a mapping of param names to values`, EXIT.usage);
  const sources: Sources = {};
  for (const pair of doc.contents.items) {
    const k = pair.key as { value?: unknown; range?: [number, number, number] };
    sources[String(k.value)] = at(k.range?.[0] ?? 0);
  }
  return { values: doc.toJS() as Record<string, unknown>, sources };
}

export interface Rendered {
  preset: string;
  version?: string;
  risk: string;
  /** The params a run gets: the given values with the schema's defaults filled in. */
  params: Record<string, unknown>;
  /** Params that are secrets: their values are references (env:NAME, file:/path) resolved on the host. */
  secretParams: string[];
  /** The environment variables every step gets from the params (the agent adds PATH, LANG, HYPRBOX_STEP). */
  environment: Record<string, string>;
  check?: { probes?: Record<string, unknown>; script?: string; timeoutSeconds?: number };
  steps: Array<{ name: string; script: string; timeoutSeconds?: number }>;
}

/**
 * Checks the values against the preset's params schema (exit 2 naming each param, where it came from and the
 * rule) and renders the preset with the defaults applied. `toEnv` is the agent's params → environment rule.
 */
export function renderPreset(preset: Obj, values: Record<string, unknown>, sources: Sources, toEnv: (p: Record<string, unknown>) => { vars: Record<string, string> } | { error: string }): Rendered {
  const name = preset.metadata.name!;
  const causes = paramCauses(preset, values, 'params').map((c) => locate(c, sources));
  if (causes.length) throw new CliError(`preset ${name}: the params do not fit its schema (see 'hyprbox preset show ${name}')`, EXIT.usage, causes);
  const params = defaultParams(preset, values);
  const env = toEnv(params);
  if ('error' in env) throw new CliError(`preset ${name}: ${env.error}`, EXIT.usage);
  const spec = specOf(preset);
  const steps = RUN_STEPS.filter((s) => spec[s]).map((s) => ({ name: s, script: spec[s]!.script, ...(spec[s]!.timeoutSeconds ? { timeoutSeconds: spec[s]!.timeoutSeconds } : {}) }));
  return { preset: name, ...(spec.version ? { version: spec.version } : {}), risk: spec.risk ?? 'CONFIRM', params, secretParams: secretParamsOf(preset), environment: env.vars, ...(spec.check ? { check: spec.check } : {}), steps };
}

/** `params.mode...` → `mode...`, prefixed with where the param was given. */
function locate(c: StatusCause, sources: Sources): StatusCause {
  const field = (c.field ?? '').replace(/^params\.?/, '');
  const param = /^[^.[]+/.exec(field)?.[0];
  const from = param ? sources[param] : undefined;
  return { ...c, field: from ? `${from === '--set' ? '--set ' : `${from}: `}${field}` : field || 'params' };
}

/** POSIX shell single quotes: the text exactly, whatever it holds. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:@%+,=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const timeout = (s?: number): string => (s ? ` (timeout ${s}s)` : '');

/** The rendering as a reviewer reads it: environment first, then each script verbatim under a header. */
export function renderedText(r: Rendered): string {
  const out = [`# preset ${r.preset}${r.version ? ` ${r.version}` : ''}, risk ${r.risk}`, '# environment of every step (the agent also sets PATH, LANG=C.UTF-8 and HYPRBOX_STEP):'];
  for (const [k, v] of Object.entries(r.environment)) out.push(`${k}=${shellQuote(v)}${r.secretParams.includes(k) ? '   # secret: a reference, resolved on the host' : ''}`);
  if (!Object.keys(r.environment).length) out.push('#   (no params)');
  if (r.check?.probes) out.push('', `# ---- check: probes ----`, ...Object.entries(r.check.probes).map(([k, v]) => `#   ${k} = ${JSON.stringify(v)}`));
  if (r.check?.script !== undefined) out.push('', `# ---- check${timeout(r.check.timeoutSeconds)} ----`, r.check.script.replace(/\n$/, ''));
  for (const s of r.steps) out.push('', `# ---- ${s.name}${timeout(s.timeoutSeconds)} ----`, s.script.replace(/\n$/, ''));
  return out.join('\n');
}

/** One script of a rendering, verbatim (for `--step`, e.g. to pipe into shellcheck). */
export function stepScript(r: Rendered, step: string): string {
  const script = step === 'check' ? r.check?.script : r.steps.find((s) => s.name === step)?.script;
  if (script === undefined) throw new CliError(`--step: preset ${r.preset} has no ${step} script (it has: ${[...(r.check?.script !== undefined ? ['check'] : []), ...r.steps.map((s) => s.name)].join(', ')})`, EXIT.usage);
  return script;
}

const brief = (v: unknown): string => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));

/** The params table of `preset show`: name, type, required, default, secret, description and rules. */
export function paramsTable(preset: Obj): string {
  const props = propsOf(preset);
  const required = new Set(specOf(preset).params?.required ?? []);
  const secrets = secretParamsOf(preset);
  const rows = Object.entries(props).map(([k, s]) => {
    const rules = [s.enum ? `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}` : '', s.pattern ? `pattern ${s.pattern}` : '', s.minimum !== undefined ? `min ${s.minimum}` : '', s.maximum !== undefined ? `max ${s.maximum}` : '', s.maxLength !== undefined ? `max ${s.maxLength} chars` : '']
      .filter(Boolean)
      .join('; ');
    return [k, [s.type ?? 'any'].flat().join('|'), required.has(k) ? 'yes' : 'no', brief(s.default), secrets.includes(k) ? 'yes' : 'no', [s.description ?? '', rules ? `(${rules})` : ''].filter(Boolean).join(' ')];
  });
  return rows.length ? columns(['NAME', 'TYPE', 'REQUIRED', 'DEFAULT', 'SECRET', 'DESCRIPTION'], rows) : '(none)';
}

/** `preset show`: what it does, how risky it is, what it takes and which steps it has. */
export function presetSummary(preset: Obj): string {
  const s = specOf(preset);
  const conditions = ((preset.status as { conditions?: Array<{ type: string; status: string; message?: string }> } | undefined)?.conditions ?? []).map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`);
  const check = [s.check?.script !== undefined ? `script${timeout(s.check.timeoutSeconds)}` : '', s.check?.probes ? `probes ${Object.entries(s.check.probes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` : ''].filter(Boolean);
  const lines: Array<[string, string]> = [
    ['Name', preset.metadata.name!],
    ['Version', s.version ?? '-'],
    ['Risk', s.risk ?? 'CONFIRM'],
    ['Description', s.description ?? '-'],
    ['Resolves', s.resolves?.join(', ') || '-'],
    ['Check', check.join('; ') || '-'],
    ['Steps', RUN_STEPS.filter((k) => s[k]).map((k) => `${k}${timeout(s[k]!.timeoutSeconds)}`).join(', ')],
    ['Status', conditions.join(', ') || '-'],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`).join('\n')}\nParams:\n${paramsTable(preset).replace(/^/gm, '  ')}`;
}
