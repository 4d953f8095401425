import { Flags } from '@oclif/core';
import { applyAll, describeResult } from '../lib/apply.js';
import { BaseCommand } from '../lib/base.js';
import { CliError, EXIT } from '../lib/errors.js';
import { fileFlags, loadTargets } from '../lib/manifest-flags.js';

export default class Apply extends BaseCommand {
  static override summary = 'Apply manifests (server-side apply); with --prune, delete what this apply set no longer defines';
  static override description = 'Every object is checked by a server dry run first: if any is refused, nothing is applied. Objects are labelled hyprbox.io/applyset=<set>; --prune deletes only objects carrying this set\'s label (and matching -l) that the files no longer define.';
  static override examples = ['hyprbox apply -f examples/', 'hyprbox apply -f fleet/ -R --prune', 'hyprbox apply -f profile.yaml --dry-run=server', 'cat x.yaml | hyprbox apply -f - --applyset fleet'];
  static override flags = {
    ...fileFlags,
    prune: Flags.boolean({ description: "delete objects of this apply set that the files no longer define" }),
    selector: Flags.string({ char: 'l', description: 'with --prune: only prune objects matching this label selector' }),
    'dry-run': Flags.string({ description: 'server: validate and report without writing; none: apply', options: ['none', 'server', 'client'], default: 'none' }),
    'force-conflicts': Flags.boolean({ description: 'take over fields another field manager owns' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Apply);
    if (flags.selector && !flags.prune) throw new CliError('-l/--selector limits --prune; add --prune', EXIT.usage);
    if (flags['dry-run'] === 'client') throw new CliError('--dry-run=client is not supported: use --dry-run=server, which runs every check the server makes', EXIT.usage);
    const client = this.connect(flags);
    const res = await this.resources(client);
    const { targets, applySet } = loadTargets(res, flags, this.conn!.namespace);
    const dryRun = flags['dry-run'] === 'server';
    const results = await applyAll(client, res, targets, { dryRun, force: flags['force-conflicts'], prune: flags.prune, applySet, ...(flags.selector ? { selector: flags.selector } : {}), onResult: (r) => this.out(describeResult(r, dryRun)) });
    return { applySet, dryRun, results };
  }
}
