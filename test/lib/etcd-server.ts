// A throwaway single-member etcd for tests: the real /usr/bin/etcd on free loopback ports, in a fresh temp
// dir, with automatic compaction off (tests compact explicitly). The process never outlives the test run:
// it is started under `setpriv --pdeathsig SIGKILL` when available (the kernel kills it if we die, even
// by SIGKILL), and killed from process 'exit' and signal handlers as well.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdServer {
  /** Client URLs, e.g. ['http://127.0.0.1:40123']. */
  endpoints: string[];
  dataDir: string;
  /** etcd's pid (setpriv execs etcd, so it is the spawned child's): benchmarks charge its CPU to etcd. */
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after a bound; waits for exit and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** An outage: SIGKILL, keeping the data; restart() brings the same member back on the same ports. */
  crash(): Promise<void>;
  restart(): Promise<void>;
}

const ETCD = '/usr/bin/etcd';
const SETPRIV = '/usr/bin/setpriv';
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const MAX_START_ATTEMPTS = 3;

// Every etcd we started and have not stopped, with its temp dir: killed and removed synchronously if the
// test process goes away without calling stop().
const live = new Map<ChildProcess, string>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const [child, dataDir] of live) {
      try {
        child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      } catch {
        // best effort: already gone
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      // If nobody else handles this signal, restore the default action (terminate) and re-raise it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** A port that was free a moment ago (bind port 0 on loopback, read it, release it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no etcd log)';
  }
}

/** One GET /health; resolves true when etcd reports itself healthy. */
function healthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: unknown }).health === 'true');
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the child exits within `ms` (true at once if it already has). */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

class StartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

async function startOnce(extraArgs: string[]): Promise<EtcdServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hyprbox-etcd-'));
  const logFile = join(dataDir, 'etcd.log');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=hyprbox-test',
    `--data-dir=${join(dataDir, 'data')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=hyprbox-test=${peerUrl}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=hyprbox-test-${clientPort}`,
    // No automatic compaction: tests compact explicitly. (etcd 3.4 has no --unsafe-no-fsync; that is 3.5+.)
    '--auto-compaction-retention=0',
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
    ...extraArgs,
  ];
  let child!: ChildProcess;
  let spawnError: Error | undefined;
  const launch = (): void => {
    const logFd = openSync(logFile, 'a');
    try {
      child = existsSync(SETPRIV)
        ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ETCD, ...args], { stdio: ['ignore', logFd, logFd] })
        : spawn(ETCD, args, { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    live.set(child, dataDir);
    spawnError = undefined;
    child.once('error', (err) => (spawnError = err));
  };
  launch();

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await killAndWait(child);
      live.delete(child);
      await rm(dataDir, { recursive: true, force: true });
    })());
  const crash = async (): Promise<void> => {
    child.kill('SIGKILL');
    await waitForExit(child, STOP_GRACE_MS);
    live.delete(child);
  };
  const restart = async (): Promise<void> => {
    launch();
    const until = Date.now() + START_TIMEOUT_MS;
    while (!(await healthy(clientUrl))) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`etcd did not come back at ${clientUrl}; log tail:\n${logTail(logFile)}`);
      await delay(100);
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await waitForExit(child, 1000);
      const tail = logTail(logFile);
      await stop();
      const why = spawnError ? spawnError.message : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new StartError(`etcd failed to start (${why}); log tail:\n${tail}`, /address already in use/.test(tail));
    }
    if (await healthy(clientUrl)) break;
    if (Date.now() > deadline) {
      const tail = logTail(logFile);
      await stop();
      throw new StartError(`etcd did not become healthy at ${clientUrl} within ${START_TIMEOUT_MS} ms; log tail:\n${tail}`, false);
    }
    await delay(100);
  }
  return { endpoints: [clientUrl], dataDir, get pid() { return child.pid; }, stop, crash, restart };
}

/** Start a fresh single-member etcd; retries on the rare port race (a "free" port taken before etcd bound it). */
/** `extraArgs`: more etcd flags (a small --quota-backend-bytes, say). */
export async function startEtcd(extraArgs: string[] = []): Promise<EtcdServer> {
  if (!existsSync(ETCD)) throw new Error('etcd not found: install it with `apt-get install -y etcd-server`');
  installExitHooks();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(extraArgs);
    } catch (err) {
      if (!(err instanceof StartError && err.portInUse && attempt < MAX_START_ATTEMPTS)) throw err;
    }
  }
}

/**
 * Mocha helper: starts one etcd in a `before` hook and stops it in `after`, for the enclosing describe (or
 * the whole file at top level). Returns a getter for the running server.
 */
export function useEtcd(): () => EtcdServer {
  let server: EtcdServer | undefined;
  before(async function () {
    this.timeout(START_TIMEOUT_MS + 10_000);
    server = await startEtcd();
  });
  after(async function () {
    this.timeout(2 * STOP_GRACE_MS + 5_000);
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined) throw new Error('etcd is not running (useEtcd() getter called outside its hooks)');
    return server;
  };
}
