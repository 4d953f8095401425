import { BaseCommand } from '../../lib/base.js';
import { getTable } from '../../lib/get.js';
import { clusterPath, listAll } from '../../lib/list.js';
import { clean, renderTable } from '../../lib/output.js';

export default class PresetList extends BaseCommand {
  static override summary = 'List the preset catalog (risk, the finding types each resolves, age)';
  static override examples = ['hyprbox preset list', 'hyprbox preset list --json'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PresetList);
    const client = this.connect(flags);
    if (this.jsonEnabled()) return (await listAll(client, clusterPath('presets'))).map(clean);
    const t = await getTable(client, { resource: (await this.resources(client)).resolve('presets'), namespace: undefined, names: [] });
    if (t.rows.length) this.out(renderTable(t, { wide: true, withNamespace: false }));
    else this.note('No presets found (the catalog syncs from the controller\'s --presets-dir).');
    return t;
  }
}
