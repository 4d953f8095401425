import { Args } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { getObjects } from '../lib/get.js';
import { related, renderDescribe } from '../lib/describe.js';
import { CliError, EXIT } from '../lib/errors.js';
import { clean } from '../lib/output.js';
import { parseTarget } from '../lib/resources.js';

export default class Describe extends BaseCommand {
  static override summary = 'Describe objects for a person: spec, status, conditions, events, and related findings and runs';
  static override examples = ['hyprbox describe node web-1 -n acme', 'hyprbox describe nodeprofile/db-servers', 'hyprbox describe finding/web-1-3fa2c1d2e4f5'];
  static override strict = false;
  static override args = { target: Args.string({ description: 'kind name..., or kind/name...', required: true }) };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(Describe);
    const client = this.connect(flags);
    const { resource, names } = parseTarget(await this.resources(client), argv as string[]);
    if (!names.length) throw new CliError(`name the ${resource.singular} to describe`, EXIT.usage);
    const { items } = await getObjects(client, { resource, namespace: this.conn!.namespace, names });
    const results = [];
    for (const o of items) {
      const rel = await related(client, resource, o);
      this.out(renderDescribe(resource, o, rel));
      if (items.length > 1) this.out('');
      results.push({ object: clean(o), events: rel.events.map(clean), findings: rel.findings.map(clean), runs: rel.runs.map(clean) });
    }
    return results.length === 1 ? results[0] : results;
  }
}
