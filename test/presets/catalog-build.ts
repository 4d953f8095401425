// Builds the preset catalog (presets/*.yaml) from its sources (presets/src/*.yaml): a line `#@include <file>`
// inside a script is replaced by presets/src/lib/<file>, indented like the line. The shell pieces several
// presets share (ufw, fail2ban, unattended-upgrades for server-light and their own presets; restic for
// postgres-backup and restore-drill) live once in lib/, and every catalog file still holds exactly what runs.
//
// `node test/dist/presets/catalog-build.js` writes the catalog; the presets test fails when it is out of date.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../lib/paths.js';

const INCLUDE = /^(\s*)#@include\s+(\S+)\s*$/;
const NAME = /^[a-z0-9][a-z0-9.-]*\.sh$/;

/** The text of one catalog file built from its source; `lib` reads a fragment by name. */
export function expandIncludes(source: string, file: string, lib: (name: string) => string): string {
  return source
    .split('\n')
    .map((line, i) => {
      const m = INCLUDE.exec(line);
      if (!m) return line;
      const [, indent, name] = m;
      if (!NAME.test(name!)) throw new Error(`${file}:${i + 1}: not a fragment name: ${name}`);
      const text = lib(name!).replace(/\n$/, '');
      if (text.split('\n').some((l) => INCLUDE.test(l))) throw new Error(`presets/src/lib/${name}: a fragment cannot include another`);
      return text
        .split('\n')
        .filter((l) => !l.startsWith('# shellcheck shell='))
        .map((l) => (l === '' ? '' : indent + l))
        .join('\n');
    })
    .join('\n');
}

/** Catalog file name → its built text. */
export function buildCatalog(root = repoPath('presets')): Map<string, string> {
  const src = join(root, 'src');
  const lib = (name: string): string => readFileSync(join(src, 'lib', name), 'utf8');
  const out = new Map<string, string>();
  for (const f of readdirSync(src).filter((n) => n.endsWith('.yaml')).sort()) {
    const header = `# GENERATED from presets/src/${f} (and presets/src/lib/*.sh) by test/presets/catalog-build.ts: edit those.\n`;
    out.set(f, header + expandIncludes(readFileSync(join(src, f), 'utf8'), `presets/src/${f}`, lib));
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const [f, text] of buildCatalog()) writeFileSync(repoPath('presets', f), text);
  console.log('presets/*.yaml rebuilt');
}
