// `npm run gen:types`: writes src/generated/types.ts from the CRD schemas in definitions/.
// With --check it writes nothing and exits 1 when the checked-in file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateTypes } from '../src/generate.js';
import { loadResources, PACKAGE_ROOT } from '../src/resources.js';

const target = join(PACKAGE_ROOT, 'src', 'generated', 'types.ts');
const text = generateTypes(loadResources());
const shown = relative(process.cwd(), target);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is stale
  }
  if (current !== text) {
    console.error(`${shown} is stale: run npm run gen:types`);
    process.exit(1);
  }
  console.log(`${shown} is up to date`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${shown}`);
}
