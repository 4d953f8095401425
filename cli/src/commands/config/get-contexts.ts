import { BaseCommand } from '../../lib/base.js';
import { configPath, readConfig } from '../../lib/kubeconfig.js';
import { columns } from '../../lib/output.js';

export default class ConfigGetContexts extends BaseCommand {
  static override summary = 'List the contexts of the client config (* marks the current one)';
  static override examples = ['hyprbox config get-contexts', 'hyprbox config get-contexts --kubeconfig ./admin.kubeconfig'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ConfigGetContexts);
    const path = configPath(flags.kubeconfig);
    const cfg = readConfig(path);
    const current = cfg['current-context'];
    const contexts = cfg.contexts.map((c) => ({ name: c.name, current: c.name === current, cluster: c.context.cluster, user: c.context.user, namespace: c.context.namespace ?? '' }));
    if (!contexts.length) this.note(`No contexts in ${path}.`);
    else this.out(columns(['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'], contexts.map((c) => [c.current ? '*' : '', c.name, c.cluster, c.user, c.namespace])));
    return { path, currentContext: current ?? null, contexts };
  }
}
