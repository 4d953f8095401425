// Child process of bench/api.ts: one controller (the real startController, as main.js runs it, with logging
// off) on a fresh data dir and a free loopback port, plain HTTP. Reports { url, token, pid } over IPC,
// answers { type: 'audit' } with how far the audit trail got, and stops when told to (SIGTERM) or when the
// benchmark goes away (IPC channel closed).
// Usage: node controller-child.js <dataDir> sqlite|etcd [etcdEndpoints]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { AUDIT_PREFIX } from '@hyprbox/controller/audit/auditor';
import { loadConfig, usage } from '@hyprbox/controller/config';
import { startController } from '@hyprbox/controller/server';

export interface ControllerReady {
  url: string;
  token: string;
  pid: number;
}

export interface AuditProgress {
  type: 'audit';
  /** AuditEvents in the store. */
  stored: number;
  /** Lines in the audit log file (-1 when there is no file). */
  lines: number;
}

/** Where the controller writes its audit log (controller/src/server.ts). */
const auditFile = (dataDir: string): string => join(dataDir, 'audit', 'audit.jsonl');

function countLines(file: string): number {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return -1;
  }
  let n = 0;
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) n++;
  return n;
}

async function main(): Promise<void> {
  const [dataDir, backend, endpoints] = process.argv.slice(2);
  if (!dataDir || (backend !== 'sqlite' && backend !== 'etcd')) throw new Error('usage: controller-child <dataDir> sqlite|etcd [endpoints]');
  const args = ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--store', backend];
  if (backend === 'etcd') args.push('--etcd-endpoints', endpoints ?? '');
  // Plain HTTP on loopback, whichever way the controller's TLS default goes.
  if (usage().includes('--tls')) args.push('--tls', 'off');
  // BENCH_CONTROLLER_LOG=<level> shows the controller's log on stderr (e.g. error, to see dropped audit entries).
  const level = process.env.BENCH_CONTROLLER_LOG ?? 'silent';
  const controller = await startController(loadConfig(args, {}), { log: pino({ level }, pino.destination(2)) });
  const kc = parse(readFileSync(join(dataDir, 'admin.kubeconfig'), 'utf8')) as { users: Array<{ user: { token: string } }> };
  const ready: ControllerReady = { url: controller.url, token: kc.users[0]!.user.token, pid: process.pid };
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    controller.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'audit' || stopping) return;
    controller.store.range(AUDIT_PREFIX, { limit: 1 }).then(
      (r) => process.send!({ type: 'audit', stored: r.count!, lines: countLines(auditFile(dataDir)) } satisfies AuditProgress),
      () => process.send!({ type: 'audit', stored: -1, lines: countLines(auditFile(dataDir)) } satisfies AuditProgress),
    );
  });
  process.send!(ready);
}

main().catch((err: unknown) => {
  process.stderr.write(`controller-child: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
