// The base of every command: the connection flags, --json (oclif's, with results redacted), and errors
// mapped to the documented exit codes with each server-side cause on its own line.
import { Command, Flags, Errors } from '@oclif/core';
import { redact } from '@hyprbox/crds';
import { Client } from './client.js';
import { CliError, EXIT } from './errors.js';
import { configPath, resolveConnection } from './kubeconfig.js';
import type { Connection } from './kubeconfig.js';
import { Resources } from './resources.js';

export const connectionFlags = {
  kubeconfig: Flags.string({ description: 'client config file (default $HYPRBOX_KUBECONFIG or ~/.hyprbox/config)', helpGroup: 'CONNECTION' }),
  context: Flags.string({ description: 'context of the config file to use', helpGroup: 'CONNECTION' }),
  token: Flags.string({ description: 'bearer token (overrides the config)', helpGroup: 'CONNECTION', env: 'HYPRBOX_TOKEN' }),
  server: Flags.string({ description: "controller URL (overrides the context's)", helpGroup: 'CONNECTION' }),
};

export const namespaceFlag = {
  namespace: Flags.string({ char: 'n', description: 'namespace (default: the context\'s, else "default")' }),
};

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = { ...connectionFlags, ...namespaceFlag };

  private clientCache?: Client;
  private resourcesCache?: Resources;
  /** Set by run() implementations that parsed their flags: the connection flags of this invocation. */
  protected conn?: Connection;

  protected connect(flags: { kubeconfig?: string; context?: string; token?: string; server?: string; namespace?: string }): Client {
    if (!this.clientCache) {
      this.conn = resolveConnection(configPath(flags.kubeconfig), flags);
      this.clientCache = new Client(this.conn);
    }
    return this.clientCache;
  }

  protected async resources(client: Client): Promise<Resources> {
    this.resourcesCache ??= await Resources.discover(client);
    return this.resourcesCache;
  }

  protected out(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${text}\n`);
  }

  protected override toSuccessJson(result: unknown): unknown {
    return redact(result);
  }

  protected override toErrorJson(err: unknown): unknown {
    const e = err as CliError & { status?: number; reason?: string };
    return { error: { message: e.message, exitCode: exitCodeOf(err), ...(e.status ? { status: e.status, reason: e.reason } : {}), ...(e.causes?.length ? { causes: e.causes } : {}) } };
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const code = exitCodeOf(err);
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err));
    } else if (!(err instanceof Errors.ExitError)) {
      const causes = (err as CliError).causes ?? [];
      process.stderr.write(`error: ${err.message}\n${causes.map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}\n`).join('')}`);
    }
    this.clientCache?.close();
    process.exitCode = code;
    return undefined;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.clientCache?.close();
    return super.finally(err);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof Errors.ExitError) return err.oclif.exit ?? EXIT.internal;
  const oclifExit = (err as { oclif?: { exit?: number } }).oclif?.exit;
  // oclif's own parse errors (unknown flag, missing argument) are usage errors.
  if (oclifExit !== undefined) return oclifExit === 1 ? EXIT.usage : oclifExit;
  return EXIT.internal;
}
