import { Args, Flags } from '@oclif/core';
import { redactString } from '@hyprbox/crds';
import { BaseCommand } from '../lib/base.js';
import { GROUP_PATH, statusError } from '../lib/client.js';
import { runFor } from '../lib/decide.js';

export default class Logs extends BaseCommand {
  static override summary = "Print a run's output (steps, exit codes); -f follows it until the run finishes";
  static override examples = ['hyprbox logs run/db-servers-db-1-1a2b3c-1 -n acme', 'hyprbox logs finding/db-1-7f3e2a90c1d4 -f'];
  static override args = { run: Args.string({ description: 'run/<name>, a run name, or finding/<name> (the run of that finding)', required: true }) };
  static override flags = { follow: Flags.boolean({ char: 'f', description: 'keep printing until the run finishes' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Logs);
    const client = this.connect(flags);
    const name = args.run.includes('/') ? (await runFor(client, this.conn!.namespace, args.run)).metadata.name! : args.run;
    const path = `${GROUP_PATH}/namespaces/${encodeURIComponent(this.conn!.namespace)}/runs/${encodeURIComponent(name)}/log`;
    const res = await client.open('GET', path, { accept: 'text/plain', query: flags.follow ? { follow: 'true' } : {} });
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw statusError({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
    }
    process.once('SIGINT', () => res.destroy());
    let text = '';
    let pending = '';
    // Redact line by line as it streams: a token split across chunks is still caught at the line's end.
    for await (const chunk of res) {
      pending += (chunk as Buffer).toString('utf8');
      const cut = pending.lastIndexOf('\n') + 1;
      if (!cut) continue;
      const lines = redactString(pending.slice(0, cut));
      pending = pending.slice(cut);
      text += lines;
      if (!this.jsonEnabled()) process.stdout.write(lines);
    }
    if (pending) {
      const rest = redactString(pending);
      text += rest;
      if (!this.jsonEnabled()) process.stdout.write(`${rest}\n`);
    }
    return { run: name, log: text };
  }
}
