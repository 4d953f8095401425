#!/usr/bin/env -S node --lite-mode --no-expose-wasm --max-semi-space-size=1
// hyprnode: the HyprBox host agent.
// First: keeps a dependency's unused module from loading (memory; see the file).
import './lazy-deps.js';
import { pino } from 'pino';
// Subpaths of @hyprbox/crds, here and in the other agent modules: its index loads ajv and yaml (~2 MiB).
import { loggerOptions } from '@hyprbox/crds/redact';
import { AgentConfigError, loadAgentConfig } from './config.js';
import { startAgent } from './agent.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAgentConfig(process.env);
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`hyprnode: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // The same redaction rules as the controller: tokens, passwords and secret-named fields never reach a log line.
  const log = pino({ ...loggerOptions(config.logLevel), base: { component: 'hyprnode', node: config.nodeName } });
  const agent = await startAgent(config, log);
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    // A stuck step or request must not keep a stopping agent alive. The runner needs up to ~40 s to stop a step,
    // roll it back and report it; the unit's TimeoutStopSec (60 s) is above this.
    setTimeout(() => process.exit(1), 50_000).unref();
    agent.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`hyprnode: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
