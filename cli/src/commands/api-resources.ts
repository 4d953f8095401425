import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { columns } from '../lib/output.js';

export default class ApiResources extends BaseCommand {
  static override summary = 'List the kinds the controller serves: name, short names, API version, namespaced, kind';
  static override examples = ['hyprbox api-resources', 'hyprbox api-resources --namespaced=false', 'hyprbox api-resources -o name'];
  static override flags = {
    namespaced: Flags.string({ description: 'only namespaced (true) or cluster-scoped (false) kinds', options: ['true', 'false'] }),
    output: Flags.string({ char: 'o', description: 'wide (adds verbs) or name', options: ['wide', 'name'] }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ApiResources);
    const client = this.connect(flags);
    const all = (await this.resources(client)).all
      .filter((r) => flags.namespaced === undefined || String(r.namespaced) === flags.namespaced)
      .sort((a, b) => a.plural.localeCompare(b.plural));
    const apiVersion = (r: (typeof all)[number]): string => (r.group ? `${r.group}/${r.version}` : r.version);
    if (flags.output === 'name') this.out(all.map((r) => (r.group ? `${r.plural}.${r.group}` : r.plural)).join('\n'));
    else {
      const header = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(flags.output === 'wide' ? ['VERBS'] : [])];
      this.out(columns(header, all.map((r) => [r.plural, r.shortNames.join(','), apiVersion(r), String(r.namespaced), r.kind, ...(flags.output === 'wide' ? [r.verbs.join(',')] : [])])));
    }
    return all.map((r) => ({ name: r.plural, singularName: r.singular, shortNames: r.shortNames, apiVersion: apiVersion(r), namespaced: r.namespaced, kind: r.kind, verbs: r.verbs }));
  }
}
