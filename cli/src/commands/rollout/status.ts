import { Args, Flags } from '@oclif/core';
import { parseDuration } from '../../lib/actions.js';
import { BaseCommand } from '../../lib/base.js';
import { GROUP_PATH } from '../../lib/client.js';
import type { Obj } from '../../lib/client.js';
import { CliError, EXIT } from '../../lib/errors.js';
import { rolloutState } from '../../lib/rollout.js';
import type { RolloutState } from '../../lib/rollout.js';
import { watch } from '../../lib/watch.js';

export default class RolloutStatus extends BaseCommand {
  static override summary = "Show a profile's rollout; with --watch, follow it until every node is compliant (exit 0) or it pauses (exit 1)";
  static override examples = ['hyprbox rollout status db-servers -n acme', 'hyprbox rollout status db-servers -w --timeout 30m'];
  static override args = { profile: Args.string({ description: 'NodeProfile name', required: true }) };
  static override flags = {
    watch: Flags.boolean({ char: 'w', description: 'follow until complete or paused' }),
    timeout: Flags.string({ description: 'with --watch: give up after this long (e.g. 10m)' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RolloutStatus);
    const client = this.connect(flags);
    const ns = this.conn!.namespace;
    const name = args.profile.replace(/^(nodeprofiles?|np|prof)\//, '');
    const base = `${GROUP_PATH}/namespaces/${encodeURIComponent(ns)}/nodeprofiles`;
    const first = await client.json<Obj>('GET', `${base}/${encodeURIComponent(name)}`);
    let state = rolloutState(first);
    this.out(state.message);
    if (flags.watch && !state.done && !state.paused) {
      const stop = new AbortController();
      const timer = flags.timeout ? setTimeout(() => stop.abort(), parseDuration(flags.timeout, '--timeout')) : undefined;
      process.once('SIGINT', () => stop.abort());
      let last = state.message;
      for await (const ev of watch(client, base, { query: { fieldSelector: `metadata.name=${name}` }, resourceVersion: first.metadata.resourceVersion!, signal: stop.signal })) {
        if (ev.type === 'DELETED') throw new CliError(`nodeprofile ${name} was deleted`, EXIT.refused);
        state = rolloutState(ev.object);
        if (state.message !== last) this.out((last = state.message));
        if (state.done || state.paused) break;
      }
      if (timer) clearTimeout(timer);
      if (!state.done && !state.paused) throw new CliError(`timed out: ${state.message}`, EXIT.changes);
    }
    if (state.paused || (flags.watch && !state.done)) process.exitCode = EXIT.changes;
    return state satisfies RolloutState;
  }
}
