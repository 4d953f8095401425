import { Flags } from '@oclif/core';
import { Command } from '@oclif/core';
import { configPath } from '../lib/kubeconfig.js';
import { defaultDataDir, up } from '../lib/up.js';

export default class Up extends Command {
  static override enableJsonFlag = true;
  static override summary = 'Start HyprBox on this machine: the controller (embedded store), an agent in observe mode, the preset catalog';
  static override description = `Creates the admin credentials on first start and writes the context to the client config (kubeconfig format: kubectl can use it too). The agent for this machine reports findings; every run on this machine waits for a person's approval. Ctrl-C stops everything; running it again reuses the data.`;
  static override examples = ['hyprbox up', 'hyprbox up --listen 127.0.0.1:7443 --data-dir /srv/hyprbox', 'hyprbox up --no-agent'];
  static override flags = {
    'data-dir': Flags.string({ description: 'where the store, credentials and logs live (default $HYPRBOX_HOME/data or ~/.hyprbox/data)' }),
    listen: Flags.string({ description: 'address:port of the API', default: '127.0.0.1:6443' }),
    context: Flags.string({ description: 'name of the context written to the client config', default: 'hyprbox-local' }),
    kubeconfig: Flags.string({ description: 'client config to write the context to (default $HYPRBOX_KUBECONFIG or ~/.hyprbox/config)' }),
    agent: Flags.boolean({ description: 'start an agent for this machine', default: true, allowNo: true }),
    'presets-dir': Flags.string({ description: 'preset catalog to sync (default: presets/ of this installation)' }),
    'node-name': Flags.string({ description: "this machine's Node name (default: the hostname)" }),
  };

  async run(): Promise<{ stopped: true }> {
    const { flags } = await this.parse(Up);
    const cfg = configPath(flags.kubeconfig);
    const s = await up({
      listen: flags.listen,
      contextName: flags.context,
      configPath: cfg,
      agent: flags.agent,
      ...(flags['data-dir'] ? { dataDir: flags['data-dir'] } : { dataDir: defaultDataDir() }),
      ...(flags['presets-dir'] ? { presetsDir: flags['presets-dir'] } : {}),
      ...(flags['node-name'] ? { nodeName: flags['node-name'] } : {}),
    });
    const lines = [
      '',
      'HyprBox is up.',
      `  API        ${s.server}`,
      `  Context    ${flags.context} in ${cfg} (kubectl --kubeconfig ${cfg} works too)`,
      `  Data       ${s.dataDir} (logs: ${Object.values(s.logs).join(', ')})`,
      `  Presets    ${s.presets} in the catalog`,
      s.nodeName ? `  Agent      node ${s.nodeName} in namespace default, observe mode: findings only; every run here waits for your approval` : '  Agent      not started (--no-agent)',
      '',
      'Next:',
      '  hyprbox get nodes                 # this machine, once its agent has reported',
      '  hyprbox get findings              # what the agent found',
      '  hyprbox apply -f examples/        # declare a fleet (namespaces, nodes, profiles)',
      '  hyprbox plan <profile> -n <ns>    # what a profile would change, node by node',
      '  hyprbox approve finding/<name>    # let its run start',
      '',
      'Ctrl-C stops everything.',
      '',
    ];
    // --json: one line describing what is up (for scripts that start it in the background), then the same wait.
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ server: s.server, context: flags.context, config: cfg, dataDir: s.dataDir, presets: s.presets, node: s.nodeName ?? null, logs: s.logs })}\n`);
    else process.stdout.write(lines.join('\n'));
    let stopping = false;
    s.agent?.once('exit', (code) => {
      if (!stopping) process.stderr.write(`the agent exited (code ${code}); see ${s.logs.agent}\n`);
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    stopping = true;
    if (!this.jsonEnabled()) process.stdout.write('stopping...\n');
    await s.stop();
    if (!this.jsonEnabled()) process.stdout.write('stopped.\n');
    return { stopped: true };
  }
}
