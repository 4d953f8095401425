import { Args, Flags } from '@oclif/core';
import chokidar from 'chokidar';
import { applyAll, describeResult } from '../lib/apply.js';
import { BaseCommand, exitCodeOf } from '../lib/base.js';
import type { CliError } from '../lib/errors.js';
import { loadTargets } from '../lib/manifest-flags.js';

export default class Sync extends BaseCommand {
  static override summary = 'Apply a directory now and again on every change (debounced); prints what changed; prunes only with --prune';
  static override description = 'A broken file is reported and nothing of that round is applied; the next change tries again. Ctrl-C stops.';
  static override examples = ['hyprbox sync fleet/', 'hyprbox sync fleet/ --prune --debounce 2s'];
  static override args = { dir: Args.string({ description: 'directory (read recursively)', required: true }) };
  static override flags = {
    prune: Flags.boolean({ description: 'delete objects of this apply set that the files no longer define' }),
    applyset: Flags.string({ description: 'apply set name (default: the directory name)' }),
    debounce: Flags.integer({ description: 'milliseconds of quiet before applying', default: 500, min: 50 }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Sync);
    const client = this.connect(flags);
    const res = await this.resources(client);
    let rounds = 0;
    const round = async (why: string): Promise<void> => {
      rounds++;
      try {
        const { targets, applySet } = loadTargets(res, { filename: [args.dir], recursive: true, ...(flags.applyset ? { applyset: flags.applyset } : {}), ...(flags.namespace ? { namespace: flags.namespace } : {}) }, this.conn!.namespace);
        const results = await applyAll(client, res, targets, { dryRun: false, force: false, prune: flags.prune, applySet });
        const changed = results.filter((r) => r.outcome !== 'unchanged');
        this.emit({ round: rounds, why, results: changed });
        if (!this.jsonEnabled()) this.out(`[${new Date().toISOString()}] ${why}: ${changed.length ? changed.map((r) => describeResult(r, false)).join('; ') : 'no change'}`);
      } catch (err) {
        const e = err as CliError;
        this.emit({ round: rounds, why, error: { message: e.message, exitCode: exitCodeOf(err), causes: e.causes ?? [] } });
        if (!this.jsonEnabled()) process.stderr.write(`[${new Date().toISOString()}] ${why}: not applied: ${e.message}\n${(e.causes ?? []).map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message ?? ''}\n`).join('')}`);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let running = Promise.resolve();
    const changedPaths = new Set<string>();
    // Watch before the first round, so a change made while it runs is not missed.
    const watcher = chokidar.watch(args.dir, { ignoreInitial: true, ignored: (p) => /(^|\/)\.[^/]/.test(p) });
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    watcher.on('all', (_ev, p) => {
      changedPaths.add(p);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const why = `changed ${[...changedPaths].sort().join(', ')}`;
        changedPaths.clear();
        running = running.then(() => round(why));
      }, flags.debounce);
    });
    running = round('initial sync');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    clearTimeout(timer);
    await watcher.close();
    await running;
    return { rounds };
  }

  /** With --json, one JSON line per round (a stream, not one document at the end). */
  private emit(o: unknown): void {
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(o)}\n`);
  }
}
