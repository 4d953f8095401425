import { Flags } from '@oclif/core';
import { redact } from '@hyprbox/crds';
import { stringify } from 'yaml';
import { BaseCommand } from '../../lib/base.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { configPath, readConfig } from '../../lib/kubeconfig.js';
import type { KubeConfigFile } from '../../lib/kubeconfig.js';

/** Only what the current (or --context) context uses, as kubectl's --minify. */
function minify(cfg: KubeConfigFile, name: string | undefined, path: string): KubeConfigFile {
  const ctx = cfg.contexts.find((c) => c.name === name);
  if (!ctx) throw new CliError(`${path}: no context "${name ?? ''}" to minify to`, EXIT.usage);
  return { ...cfg, 'current-context': ctx.name, contexts: [ctx], clusters: cfg.clusters.filter((c) => c.name === ctx.context.cluster), users: cfg.users.filter((u) => u.name === ctx.context.user) };
}

/** CA data is long and public: shown as kubectl shows it, DATA+OMITTED (--raw prints it). */
const omitCertificates = (cfg: KubeConfigFile): KubeConfigFile => ({
  ...cfg,
  clusters: cfg.clusters.map((c) => ({ ...c, cluster: { ...c.cluster, ...(c.cluster['certificate-authority-data'] ? { 'certificate-authority-data': 'DATA+OMITTED' } : {}) } })),
});

export default class ConfigView extends BaseCommand {
  static override summary = 'Print the client config; tokens are redacted unless --raw';
  static override examples = ['hyprbox config view', 'hyprbox config view --minify', 'hyprbox config view --raw --minify > ci.kubeconfig'];
  static override flags = {
    raw: Flags.boolean({ description: 'print tokens as they are (the output is then a secret)' }),
    minify: Flags.boolean({ description: 'only the current context (or --context) and what it uses' }),
  };

  private raw = false;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ConfigView);
    const path = configPath(flags.kubeconfig);
    let cfg = readConfig(path);
    if (flags.minify) cfg = minify(cfg, flags.context ?? cfg['current-context'], path);
    this.raw = flags.raw;
    const shown = flags.raw ? cfg : omitCertificates(redact(cfg));
    this.out(stringify(shown, { lineWidth: 0 }));
    return shown;
  }

  protected override toSuccessJson(result: unknown): unknown {
    return this.raw ? result : super.toSuccessJson(result);
  }
}
