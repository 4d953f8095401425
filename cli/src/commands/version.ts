import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/base.js';

interface ServerVersion {
  gitVersion?: string;
  major?: string;
  minor?: string;
  platform?: string;
  goVersion?: string;
}

export default class Version extends BaseCommand {
  static override summary = "Print the client's version and the controller's (GET /version, which needs no token)";
  static override examples = ['hyprbox version', 'hyprbox version --client', 'hyprbox version --json'];
  static override flags = { client: Flags.boolean({ description: 'only the client version (no request)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Version);
    const client = { version: this.config.version, node: process.version, platform: `${process.platform}/${process.arch}` };
    this.out(`Client Version: ${client.version} (node ${process.version.slice(1)}, ${client.platform})`);
    if (flags.client) return { client };
    // The client line is out before asking, so an unreachable controller still shows which client this is.
    const server = await this.connect(flags).json<ServerVersion>('GET', '/version');
    this.out(`Server Version: ${server.gitVersion ?? `${server.major}.${server.minor}`} (${server.platform ?? 'unknown platform'}, ${this.conn!.server})`);
    return { client, server };
  }
}
