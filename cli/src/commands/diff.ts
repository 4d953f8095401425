import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { diffAll } from '../lib/diff.js';
import { EXIT } from '../lib/errors.js';
import { fileFlags, loadTargets } from '../lib/manifest-flags.js';

export default class Diff extends BaseCommand {
  static override summary = 'Show what apply would change; exit 0 no change, 1 changes, >1 error';
  static override examples = ['hyprbox diff -f fleet/ -R', 'hyprbox diff -f fleet/ --prune'];
  static override flags = {
    ...fileFlags,
    prune: Flags.boolean({ description: 'also show what apply --prune would delete' }),
    selector: Flags.string({ char: 'l', description: 'with --prune: only objects matching this label selector' }),
    'force-conflicts': Flags.boolean({ description: 'diff as apply --force-conflicts would apply' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Diff);
    const client = this.connect(flags);
    const res = await this.resources(client);
    const { targets, applySet } = loadTargets(res, flags, this.conn!.namespace);
    const entries = await diffAll(client, res, targets, { prune: flags.prune, applySet, ...(flags.selector ? { selector: flags.selector } : {}), force: flags['force-conflicts'] });
    for (const e of entries) this.out(e.patch);
    if (entries.length) process.exitCode = EXIT.changes;
    return { changes: entries };
  }
}
