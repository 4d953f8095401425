import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { runFor } from '../lib/decide.js';
import { runLog } from '../lib/runlog.js';

export default class Logs extends BaseCommand {
  static override summary = "Print a run's output (steps, exit codes); -f follows it until the run finishes";
  static override examples = ['hyprbox logs run/db-servers-db-1-1a2b3c-1 -n acme', 'hyprbox logs finding/db-1-7f3e2a90c1d4 -f'];
  static override args = { run: Args.string({ description: 'run/<name>, a run name, or finding/<name> (the run of that finding)', required: true }) };
  static override flags = { follow: Flags.boolean({ char: 'f', description: 'keep printing until the run finishes' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Logs);
    const client = this.connect(flags);
    const ns = this.conn!.namespace;
    const name = args.run.includes('/') ? (await runFor(client, ns, args.run)).metadata.name! : args.run;
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    let text = '';
    for await (const part of runLog(client, ns, name, { follow: flags.follow, signal: stop.signal })) {
      text += part;
      if (!this.jsonEnabled()) process.stdout.write(part);
    }
    if (text && !text.endsWith('\n') && !this.jsonEnabled()) process.stdout.write('\n');
    return { run: name, log: text };
  }
}
