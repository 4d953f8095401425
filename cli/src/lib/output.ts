// One output layer for every command: tables, YAML, JSON, names, and the --json envelope. Everything a
// command prints about objects goes through here, so secrets are redacted in one place.
import { redact } from '@hyprbox/crds';
import { stringify } from 'yaml';
import type { Obj } from './client.js';
import { CliError, EXIT } from './errors.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Table {
  columnDefinitions: Array<{ name: string; type: string; priority?: number }>;
  rows: Array<{ cells: unknown[]; object?: { metadata?: { name?: string; namespace?: string } } }>;
}

export interface Printer {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Printer = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Objects as the user sees them: managedFields are noise outside `-o yaml --show-managed-fields`. */
export function clean<T>(o: T): T {
  const c = redact(structuredClone(o)) as T & { metadata?: { managedFields?: unknown } };
  if (c && typeof c === 'object' && c.metadata) delete c.metadata.managedFields;
  return c;
}

export const toJson = (v: unknown): string => JSON.stringify(redact(v), null, 2);
export const toYaml = (v: unknown): string => stringify(redact(v), { lineWidth: 0 });

const cellText = (v: unknown): string => (v === null || v === undefined ? '<none>' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Aligned columns, as kubectl prints them. */
export function columns(header: string[], rows: string[][]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A server Table: priority-0 columns (all with wide), a NAMESPACE column first when listing across namespaces. */
export function renderTable(t: Table, o: { wide: boolean; withNamespace: boolean; noHeaders?: boolean }): string {
  const keep = t.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => o.wide || !c.priority);
  const header = [...(o.withNamespace ? ['NAMESPACE'] : []), ...keep.map(({ c }) => c.name.toUpperCase())];
  const rows = t.rows.map((r) => [...(o.withNamespace ? [r.object?.metadata?.namespace ?? ''] : []), ...keep.map(({ i }) => cellText(redact(r.cells[i])))]);
  const text = columns(header, rows);
  return o.noHeaders ? text.split('\n').slice(1).join('\n') : text;
}

/** Prints objects in a non-table format. */
export function renderObjects(items: Obj[], format: Exclude<OutputFormat, 'table' | 'wide'>, single: boolean, kindPlural: (o: Obj) => string): string {
  const cleaned = items.map(clean);
  switch (format) {
    case 'name':
      return cleaned.map((o) => `${kindPlural(o)}/${o.metadata.name}`).join('\n');
    case 'json':
      return JSON.stringify(single ? cleaned[0] : { apiVersion: 'v1', kind: 'List', items: cleaned }, null, 2);
    case 'yaml':
      return stringify(single ? cleaned[0] : { apiVersion: 'v1', kind: 'List', items: cleaned }, { lineWidth: 0 });
  }
}

export function parseFormat(raw: string | undefined): OutputFormat {
  const f = (raw ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(f)) throw new CliError(`--output: must be one of ${OUTPUT_FORMATS.join(', ')} (got "${raw}")`, EXIT.usage);
  return f;
}

/** Human duration since an RFC 3339 time, kubectl style (5s, 3m, 2h, 4d). */
export function age(time: string | undefined, now = Date.now()): string {
  if (!time) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(time)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
