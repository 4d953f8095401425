#!/usr/bin/env node
// hyprbox-controller: the API server and (later) the reconcilers, in one process.
import { ConfigError, loadConfig, usage } from './config.js';
import { DataDirBusyError } from './data-dir-lock.js';
import { StoreOpenError } from './store/open.js';
import { startController, VERSION } from './server.js';
import { BACKUP_USAGE, runBackupCommand } from './backup-cli.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'backup' || argv[0] === 'restore') {
    process.exitCode = runBackupCommand(argv, process.env, VERSION, (line) => process.stdout.write(`${line}\n`));
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hyprbox-controller: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.help) {
    process.stdout.write(usage() + BACKUP_USAGE);
    return;
  }
  // Signals are handled from the start: one that arrives while starting stops the controller once it is up.
  const state: { controller?: Awaited<ReturnType<typeof startController>>; requested?: string } = {};
  const shutdown = (signal: string): void => {
    const c = state.controller;
    if (!c) {
      state.requested = signal;
      return;
    }
    c.log.info({ signal }, 'shutting down');
    c.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        c.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  const controller = await startController(config);
  state.controller = controller;
  if (controller.kubeconfigWritten) {
    process.stderr.write(`\nAdmin credentials: ${controller.kubeconfigWritten}\nTry: kubectl --kubeconfig ${controller.kubeconfigWritten} get nodes.hyprbox.io -A\n\n`);
  }
  if (state.requested) shutdown(state.requested);
}

main().catch((err: unknown) => {
  // An expected refusal is one line; anything else keeps its stack for the bug report.
  process.stderr.write(`hyprbox-controller: ${err instanceof DataDirBusyError || err instanceof StoreOpenError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
