// `describe`: one object for a person — identity, spec and status as YAML, conditions as a table, then what
// relates to it (events, and the findings and runs of a node, profile, finding or run).
import { stringify } from 'yaml';
import type { Client, Obj } from './client.js';
import { GROUP_PATH } from './client.js';
import { age, clean, columns } from './output.js';
import type { ResourceInfo } from './resources.js';

export interface Related {
  events: Obj[];
  findings: Obj[];
  runs: Obj[];
}

const list = async (c: Client, ns: string, plural: string, query: Record<string, string> = {}): Promise<Obj[]> =>
  (await c.json<{ items: Obj[] }>('GET', `${GROUP_PATH}/namespaces/${encodeURIComponent(ns)}/${plural}`, { query })).items;

export async function related(c: Client, r: ResourceInfo, o: Obj): Promise<Related> {
  const ns = o.metadata.namespace;
  if (!ns || r.group !== 'hyprbox.io') return { events: [], findings: [], runs: [] };
  const name = o.metadata.name!;
  const events = (await list(c, ns, 'events')).filter((e) => (e.involvedObject as { kind?: string; name?: string } | undefined)?.name === name && (e.involvedObject as { kind?: string }).kind === r.kind);
  let findings: Obj[] = [];
  let runs: Obj[] = [];
  if (r.plural === 'nodes') {
    [findings, runs] = await Promise.all([list(c, ns, 'findings', { fieldSelector: `spec.nodeName=${name}` }), list(c, ns, 'runs', { fieldSelector: `spec.nodeName=${name}` })]);
  } else if (r.plural === 'nodeprofiles') {
    [findings, runs] = await Promise.all([list(c, ns, 'findings'), list(c, ns, 'runs', { labelSelector: `hyprbox.io/profile=${name}` })]);
    findings = findings.filter((f) => (f.spec as { profile?: string }).profile === name);
  } else if (r.plural === 'findings') {
    const ref = (o.status as { runRef?: string } | undefined)?.runRef;
    runs = (await list(c, ns, 'runs')).filter((x) => x.metadata.name === ref || (x.spec as { findingRef?: string }).findingRef === name);
  } else if (r.plural === 'runs') {
    const ref = (o.spec as { findingRef?: string } | undefined)?.findingRef;
    findings = ref ? (await list(c, ns, 'findings', { fieldSelector: `metadata.name=${ref}` })) : [];
  }
  return { events, findings, runs };
}

const indent = (text: string, n = 2): string => text.trimEnd().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');

export function renderDescribe(r: ResourceInfo, o: Obj, rel: Related, now = Date.now()): string {
  const c = clean(o);
  const md = c.metadata as Obj['metadata'] & { creationTimestamp?: string; deletionTimestamp?: string; finalizers?: string[]; generation?: number };
  const out: string[] = [
    `Name:         ${md.name}`,
    ...(md.namespace ? [`Namespace:    ${md.namespace}`] : []),
    `Kind:         ${r.kind}`,
    `Labels:       ${Object.entries(md.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>'}`,
    `Annotations:  ${Object.keys(md.annotations ?? {}).join(', ') || '<none>'}`,
    `Created:      ${md.creationTimestamp ?? '<unknown>'} (${age(md.creationTimestamp, now)} ago)`,
    ...(md.deletionTimestamp ? [`Deleting:     since ${md.deletionTimestamp} (finalizers: ${(md.finalizers ?? []).join(', ')})`] : []),
  ];
  const { conditions, ...status } = (c.status ?? {}) as { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }> };
  if (c.spec && Object.keys(c.spec).length) out.push('Spec:', indent(stringify(c.spec, { lineWidth: 0 })));
  const { metadata: _m, apiVersion: _a, kind: _k, spec: _s, status: _st, ...top } = c;
  void _m; void _a; void _k; void _s; void _st;
  if (Object.keys(top).length) out.push('Fields:', indent(stringify(top, { lineWidth: 0 })));
  if (Object.keys(status).length) out.push('Status:', indent(stringify(status, { lineWidth: 0 })));
  if (conditions?.length) {
    out.push('Conditions:', indent(columns(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], conditions.map((x) => [x.type, x.status, x.reason ?? '', age(x.lastTransitionTime, now), x.message ?? '']))));
  }
  if (rel.findings.length || r.plural === 'nodes' || r.plural === 'nodeprofiles') {
    out.push('Findings:', rel.findings.length ? indent(columns(['NAME', 'TYPE', 'SEVERITY', 'PHASE', 'KEY'], rel.findings.map((f) => [f.metadata.name!, s(f.spec, 'type'), s(f.spec, 'severity'), s(f.status, 'phase'), s(f.spec, 'key')]))) : '  <none>');
  }
  if (rel.runs.length || r.plural === 'nodes' || r.plural === 'nodeprofiles' || r.plural === 'findings') {
    out.push('Runs:', rel.runs.length ? indent(columns(['NAME', 'NODE', 'PRESET', 'RISK', 'PHASE', 'AGE'], rel.runs.map((x) => [x.metadata.name!, s(x.spec, 'nodeName'), s(x.spec, 'preset'), s(x.spec, 'risk'), s(x.status, 'phase'), age((x.metadata as { creationTimestamp?: string }).creationTimestamp, now)]))) : '  <none>');
  }
  out.push('Events:', rel.events.length ? indent(columns(['TYPE', 'REASON', 'AGE', 'COUNT', 'MESSAGE'], rel.events.sort((a, b) => String(a.lastTimestamp).localeCompare(String(b.lastTimestamp))).map((e) => [String(e.type ?? ''), String(e.reason ?? ''), age(e.lastTimestamp as string | undefined, now), String(e.count ?? 1), String(e.message ?? '')]))) : '  <none>');
  return out.join('\n');
}

const s = (o: unknown, k: string): string => String((o as Record<string, unknown> | undefined)?.[k] ?? '');
