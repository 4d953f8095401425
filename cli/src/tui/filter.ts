// The `/` filter: free text (case-insensitive, over the name and every cell), `-l key=value[,key!=value]`
// over labels, and a leading `!` inverting the whole filter.
import type { Obj } from '../lib/client.js';

export interface Filter {
  text: string;
  labels: Array<{ key: string; value: string; equal: boolean }>;
  invert: boolean;
}

export function parseFilter(raw: string): Filter {
  let s = raw.trim();
  const invert = s.startsWith('!');
  if (invert) s = s.slice(1).trim();
  const labels: Filter['labels'] = [];
  const words: string[] = [];
  const parts = s.split(/\s+/).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === '-l' && parts[i + 1] !== undefined) {
      for (const req of parts[++i]!.split(',').filter(Boolean)) {
        const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(req);
        if (m) labels.push({ key: m[1]!, value: m[3]!, equal: m[2] !== '!=' });
      }
    } else words.push(parts[i]!);
  }
  return { text: words.join(' ').toLowerCase(), labels, invert };
}

/** Whether a row passes: `cells` are the row's shown texts. */
export function matches(f: Filter, o: Obj, cells: string[]): boolean {
  const labels = o.metadata.labels ?? {};
  const byLabels = f.labels.every((l) => (labels[l.key] === l.value) === l.equal);
  const byText = !f.text || [o.metadata.name ?? '', ...cells].join(' ').toLowerCase().includes(f.text);
  return (byLabels && byText) !== f.invert;
}

export const isEmptyFilter = (raw: string): boolean => !raw.trim();
