#!/usr/bin/env node
// hyprnode: the HyprBox host agent.
import { pino } from 'pino';
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
  if (process.platform !== 'linux') {
    process.stderr.write('hyprnode: probes and the job runner need Linux; nothing to do here\n');
    process.exit(2);
  }
  const log = pino({ level: config.logLevel, base: { component: 'hyprnode', node: config.nodeName }, redact: ['token', '*.token', 'headers.authorization'] });
  const agent = await startAgent(config, log);
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    // A stuck step or request must not keep a stopping agent alive.
    setTimeout(() => process.exit(1), 10_000).unref();
    agent.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`hyprnode: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
