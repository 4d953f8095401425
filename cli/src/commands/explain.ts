import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';
import { explain, explainedText, fieldTree, SchemaSet } from '../lib/explain.js';

export default class Explain extends BaseCommand {
  static override summary = 'Document a kind or one of its fields (description, type, fields), from the controller\'s OpenAPI schema';
  static override examples = ['hyprbox explain nodeprofile', 'hyprbox explain nodeprofile.spec.states', 'hyprbox explain token.spec --recursive'];
  static override args = { target: Args.string({ description: 'kind[.field.path], the kind by any name `get` accepts', required: true }) };
  static override flags = { recursive: Flags.boolean({ description: 'print every field below, with its type' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Explain);
    const [kind, ...path] = args.target.split('.').filter((s, i) => s !== '' || i > 0);
    const client = this.connect(flags);
    const r = (await this.resources(client)).resolve(kind ?? '');
    const set = await SchemaSet.fetch(client, r);
    const e = explain(set, r, path);
    if (!flags.recursive) {
      this.out(explainedText(e));
      return e;
    }
    const tree = fieldTree(set, set.walk(set.kind(r), path, r.kind).schema);
    this.out([explainedText({ ...e, fields: [] }), '', 'FIELDS:', ...tree].join('\n'));
    return { ...e, tree: tree.map((l) => l.replace(/\t/g, ' ')) };
  }
}
