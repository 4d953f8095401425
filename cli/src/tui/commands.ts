// `:` command mode: a view by any of its aliases, `:ns <name>`, `:q`; Tab completes the typed word.
import { distance } from '../lib/resources.js';
import { VIEWS, VIEW_IDS } from './views.js';
import type { ViewId } from './views.js';

export type Command = { kind: 'view'; view: ViewId } | { kind: 'namespace'; name: string } | { kind: 'quit' } | { kind: 'help' };

const EXTRA = ['ns', 'namespace', 'help', 'q', 'quit'];

/** Every word `:` accepts, for completion. */
export const commandWords = (): string[] => [...VIEW_IDS.flatMap((v) => VIEWS[v].aliases), ...EXTRA];

export function parseCommand(line: string): Command | { kind: 'error'; message: string } {
  const [word = '', arg] = line.trim().split(/\s+/);
  const w = word.toLowerCase();
  if (w === 'q' || w === 'quit') return { kind: 'quit' };
  if (w === 'help') return { kind: 'help' };
  if (w === 'ns' || w === 'namespace') return arg ? { kind: 'namespace', name: arg } : { kind: 'error', message: `:${w} needs a namespace name` };
  const view = VIEW_IDS.find((v) => VIEWS[v].aliases.includes(w));
  if (view) return { kind: 'view', view };
  const near = commandWords().filter((c) => distance(w, c) <= 2).sort((a, b) => distance(w, a) - distance(w, b))[0];
  return { kind: 'error', message: `unknown command ":${word}"${near ? `; did you mean :${near}?` : ''}` };
}

/** Completions of the first word; namespaces complete after `ns `. */
export function complete(typed: string, namespaces: string[] = []): string[] {
  const m = /^(ns|namespace)\s+(\S*)$/.exec(typed);
  if (m) return namespaces.filter((n) => n.startsWith(m[2]!)).map((n) => `${m[1]} ${n}`);
  if (/\s/.test(typed)) return [];
  return [...new Set(commandWords().filter((c) => c.startsWith(typed.toLowerCase())))];
}

/** Tab: the longest common prefix of the completions (the whole word when only one fits). */
export function tabComplete(typed: string, namespaces: string[] = []): string {
  const all = complete(typed, namespaces);
  if (!all.length) return typed;
  if (all.length === 1) return all[0]!;
  let prefix = all[0]!;
  for (const c of all) while (!c.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.length > typed.length ? prefix : typed;
}
