// The `backup` and `restore` subcommands of hyprbox-controller: flags in, one line out, exit 0, or 2 with
// the reason (nothing written).
import { parseArgs } from 'node:util';
import { backup, BackupError, DEFAULT_BUMP, restore } from './backup.js';

export const BACKUP_USAGE = `
  hyprbox-controller backup --data-dir DIR --output DIR
      A consistent copy of the store (taken while the controller runs), the run-signing key, the TLS CA and
      certificate and admin.kubeconfig, into a new directory (owner-only), with a manifest of checksums.
  hyprbox-controller restore --from DIR --data-dir DIR [--bump-revision N]
      Fills a new, empty data directory from a backup, after checking every file against the manifest. The
      revision moves N forward (default ${DEFAULT_BUMP}) and older ones read as compacted, so clients relist.
`;

/** Runs a subcommand; returns the exit code. */
export function runBackupCommand(argv: string[], env: NodeJS.ProcessEnv, version: string, out: (line: string) => void): number {
  const [command, ...rest] = argv;
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: { 'data-dir': { type: 'string' }, output: { type: 'string' }, from: { type: 'string' }, 'bump-revision': { type: 'string' } },
    });
    const dataDir = values['data-dir'] ?? env.HYPRBOX_DATA_DIR;
    if (!dataDir) throw new BackupError('--data-dir is required (or HYPRBOX_DATA_DIR)');
    if (command === 'backup') {
      if (!values.output) throw new BackupError('--output is required: the directory to create for the backup');
      const m = backup(dataDir, values.output, version);
      out(`backed up ${dataDir} at revision ${m.revision} to ${values.output} (${Object.keys(m.files).join(', ')})`);
      return 0;
    }
    if (!values.from) throw new BackupError('--from is required: the backup directory');
    const bump = values['bump-revision'] === undefined ? DEFAULT_BUMP : Number(values['bump-revision']);
    if (!Number.isSafeInteger(bump) || bump < 1) throw new BackupError(`--bump-revision must be a positive integer, not "${values['bump-revision']}"`);
    const r = restore(values.from, dataDir, bump);
    out(`restored ${values.from} (revision ${r.revision}) into ${dataDir}; it serves from revision ${r.servedFrom}: start the controller with --data-dir ${dataDir}`);
    return 0;
  } catch (err) {
    if (err instanceof BackupError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
      // node:util's flag errors run to three lines; the first says what is wrong.
      process.stderr.write(`hyprbox-controller ${command}: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
}
