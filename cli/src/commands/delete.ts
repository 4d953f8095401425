import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import type { Obj } from '../lib/client.js';
import { CliError, EXIT } from '../lib/errors.js';
import { readManifests } from '../lib/manifests.js';
import { collectionPath, objectPath, parseTarget } from '../lib/resources.js';

export default class Delete extends BaseCommand {
  static override summary = 'Delete objects by kind and name, by label selector, or those defined in files';
  static override examples = ['hyprbox delete node web-1', 'hyprbox delete finding/web-1-3fa2c1 -n acme', 'hyprbox delete nodeprofiles -l team=ops', 'hyprbox delete -f fleet/db.yaml'];
  static override strict = false;
  static override args = { target: Args.string({ description: 'kind, kind name..., or kind/name...' }) };
  static override flags = {
    filename: Flags.string({ char: 'f', description: 'delete the objects these files define', multiple: true }),
    recursive: Flags.boolean({ char: 'R', description: 'read directories recursively' }),
    selector: Flags.string({ char: 'l', description: 'delete every object of the kind matching this label selector' }),
    'ignore-not-found': Flags.boolean({ description: 'succeed when an object does not exist' }),
    'dry-run': Flags.string({ options: ['none', 'server'], default: 'none', description: 'server: check without deleting' }),
  };

  async run(): Promise<unknown> {
    const { argv, flags } = await this.parse(Delete);
    const client = this.connect(flags);
    const res = await this.resources(client);
    const ns = this.conn!.namespace;
    const paths: string[] = [];
    if (flags.filename?.length) {
      if (argv.length) throw new CliError('give either -f or a kind and names, not both', EXIT.usage);
      for (const m of readManifests(flags.filename, flags.recursive)) {
        const r = res.byKind(m.obj.apiVersion, m.obj.kind);
        if (!r) throw new CliError(`${m.position('kind')}: unknown kind ${m.obj.apiVersion}/${m.obj.kind}`, EXIT.usage);
        paths.push(objectPath(r, m.obj.metadata.namespace ?? ns, m.obj.metadata.name!));
      }
    } else {
      const { resource, names } = parseTarget(res, argv as string[]);
      if (!names.length && !flags.selector) throw new CliError(`name the ${resource.plural} to delete, or select them with -l (deleting every object of a kind needs an explicit -l)`, EXIT.usage);
      if (names.length && flags.selector) throw new CliError('give names or -l, not both', EXIT.usage);
      if (flags.selector) {
        const list = await client.json<{ items: Obj[] }>('GET', collectionPath(resource, resource.namespaced ? ns : undefined), { query: { labelSelector: flags.selector } });
        paths.push(...list.items.map((o) => objectPath(resource, o.metadata.namespace, o.metadata.name!)));
      } else paths.push(...names.map((n) => objectPath(resource, ns, n)));
    }
    const deleted: string[] = [];
    for (const p of paths) {
      const label = p.split('/').slice(-2).join('/');
      try {
        await client.json('DELETE', p, { query: flags['dry-run'] === 'server' ? { dryRun: 'All' } : {} });
        deleted.push(label);
        this.out(`${label} deleted${flags['dry-run'] === 'server' ? ' (server dry run)' : ''}`);
      } catch (err) {
        if (flags['ignore-not-found'] && (err as { status?: number }).status === 404) continue;
        throw err;
      }
    }
    if (!paths.length) this.note('No objects matched.');
    return { deleted };
  }
}
