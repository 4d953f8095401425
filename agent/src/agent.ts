// hyprnode: enrolls (registers its Node, pins the run-signing key), renews its heartbeat lease, scans, writes
// status when it changed (and at least every few minutes, never on every heartbeat), and runs its Runs.
// When the controller is unreachable it keeps probing, keeps only the latest status, and retries with capped
// backoff and jitter.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { NodeStatus } from '@hyprbox/crds';
import { Backoff, sleep } from './backoff.js';
import type { AgentConfig } from './config.js';
import { ControllerApi } from './controller-api.js';
import { collectInventory } from './inventory.js';
import type { Inventory, Metrics } from './inventory.js';
import { Kube, advice, classify } from './kube.js';
import type { ApiFailure } from './kube.js';
import { auditProbe, createHostAccess, diskProbe, packagesProbe, processesProbe, resticProbe, servicesProbe, sshdProbe, tlsProbe } from './probes/index.js';
import type { Probe } from './probes/index.js';
import { AUDITD, evaluateScanners, FAIL2BAN, NODE_EXPORTER } from './findings-scan.js';
import { FindingsPublisher } from './findings-publish.js';
import { scanSettings } from './findings-settings.js';
import { Runner } from './runner/runner.js';
import { AgentState } from './runner/state.js';
import { Scanner } from './scanner.js';
import { CheckScripts } from './checks.js';

export const AGENT_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Packages and services the presets and the scanners need to see. */
const DAEMONS = [FAIL2BAN, AUDITD, NODE_EXPORTER];
const WATCHED_PACKAGES = ['openssh-server', 'ufw', 'unattended-upgrades', 'restic', 'docker-ce', 'docker.io', ...DAEMONS.map((d) => d.pkg)];
const WATCHED_SERVICES = ['ssh', 'ufw', 'unattended-upgrades', 'docker', ...DAEMONS.map((d) => d.service)];
/** Daemons whose state is read from /proc where there is no service manager to ask. */
const WATCHED_PROCESSES = DAEMONS.flatMap((d) => d.processes);

export interface RunningAgent {
  stop(): Promise<void>;
}

export async function startAgent(config: Readonly<AgentConfig>, log: Logger): Promise<RunningAgent> {
  const api = new ControllerApi(new Kube(config), config);
  const state = new AgentState(config.stateDir);
  const stop = new AbortController();
  const lastFailure = new Map<string, ApiFailure>();
  // Log a failure once when it starts (with advice), not on every retry.
  const failed = (what: string, err: unknown): void => {
    const c = classify(err);
    if (lastFailure.get(what) !== c.kind) log.error({ what, code: c.code, err: c.message }, `${what}: ${advice(c.kind, config)}`);
    lastFailure.set(what, c.kind);
  };
  const recovered = (what: string): void => {
    if (lastFailure.delete(what)) log.info({ what }, `${what}: the controller answers again`);
  };

  // Enrollment: the Node exists and the signing key is pinned before anything else.
  const backoff = new Backoff();
  let signingKey: string | undefined;
  while (!stop.signal.aborted) {
    try {
      await api.register();
      const pem = await api.signingKey();
      const pinned = state.pinKey(pem);
      if (pinned === 'different') {
        log.error('the controller presents a different run-signing key than the one pinned at enrollment: runs are refused until the agent is re-enrolled (remove signing-key.pem from the state directory on purpose)');
        signingKey = state.pinnedKey();
      } else {
        signingKey = pem;
        if (pinned === 'pinned') log.info('run-signing key pinned');
      }
      recovered('enroll');
      break;
    } catch (err) {
      failed('enroll', err);
      await sleep(backoff.next(), stop.signal);
    }
  }

  const acquired = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const heartbeat = async (): Promise<void> => {
    const b = new Backoff(1000, 30_000);
    while (!stop.signal.aborted) {
      try {
        await api.renewLease(acquired, new Date());
        recovered('heartbeat');
        b.reset();
        await sleep(config.heartbeatMs, stop.signal);
      } catch (err) {
        failed('heartbeat', err);
        await sleep(Math.min(b.next(), config.heartbeatMs), stop.signal);
      }
    }
  };

  // Status: the latest only, written when it differs from what was written, or when it grows old.
  let dirty = true;
  // A change wakes the status loop at once (a file change reaches the controller in well under a second).
  let wake: AbortController | undefined;
  const changed = (): void => {
    dirty = true;
    wake?.abort();
  };
  let lastWritten = '';
  let lastWrittenAt = 0;
  let inventory: { inventory: Inventory; metrics: Metrics } = { inventory: {}, metrics: {} };
  const host = createHostAccess(config.hostRoot);
  const checks = new CheckScripts({ signingKey, hostRoot: config.hostRoot, log });
  // Scanner settings: the environment's, overridden by the Node's spec.agentConfig (followed below).
  let settings = scanSettings(config);
  const tls = tlsProbe(() => settings.tlsPaths);
  const probes: Probe[] = [
    sshdProbe, diskProbe, packagesProbe(WATCHED_PACKAGES), servicesProbe(WATCHED_SERVICES), processesProbe(WATCHED_PROCESSES),
    auditProbe, tls, ...(config.backup ? [resticProbe(config.backup)] : []), checks,
  ];
  const publisher = new FindingsPublisher({ custom: api.custom, namespace: config.namespace, nodeName: config.nodeName, refreshMs: config.findingRefreshMs, log });
  const publish = (full: boolean): void => void publisher.publish(evaluateScanners(scanner.latest, settings, new Date()), full);
  const scanner = new Scanner(probes, host, {
    scanMs: config.scanMs,
    log,
    onChange: changed,
    onScanned: publish,
  });
  const buildStatus = (): NodeStatus => {
    const probes: NonNullable<NodeStatus['probes']> = {};
    for (const [field, v] of Object.entries(scanner.latest)) {
      const at = scanner.observed(field);
      probes[field] = v.state === 'ok' ? { state: 'ok', value: v.value, ...(at ? { observedAt: at } : {}) } : { state: 'unknown', reason: v.reason, ...(at ? { observedAt: at } : {}) };
    }
    return { agentVersion: AGENT_VERSION, inventory: inventory.inventory, metrics: inventory.metrics, probes };
  };
  // What counts as a change: everything but the moving numbers and observation times.
  const fingerprint = (s: NodeStatus): string =>
    JSON.stringify({ ...s, metrics: undefined, probes: Object.fromEntries(Object.entries(s.probes ?? {}).map(([k, v]) => [k, { ...v, observedAt: undefined }])) });
  const statusLoop = async (): Promise<void> => {
    const b = new Backoff(1000, 60_000);
    while (!stop.signal.aborted) {
      const status = buildStatus();
      const fp = fingerprint(status);
      const due = dirty || fp !== lastWritten || Date.now() - lastWrittenAt >= config.statusMaxAgeMs;
      if (due) {
        try {
          await api.writeNodeStatus(status);
          recovered('status');
          lastWritten = fp;
          lastWrittenAt = Date.now();
          dirty = false;
          b.reset();
        } catch (err) {
          failed('status', err);
          await sleep(b.next(), stop.signal);
          continue;
        }
      }
      wake = new AbortController();
      const onStop = (): void => wake?.abort();
      stop.signal.addEventListener('abort', onStop, { once: true });
      if (!dirty) await sleep(1000, wake.signal);
      stop.signal.removeEventListener('abort', onStop);
    }
  };
  const inventoryLoop = async (): Promise<void> => {
    for (;;) {
      await sleep(Math.min(config.statusMaxAgeMs, 60_000), stop.signal);
      if (stop.signal.aborted) return;
      inventory = await collectInventory((what, err) => log.warn({ what, err: err.message }, 'could not read host inventory (is /proc mounted?)'));
    }
  };

  // The first status carries the inventory and every probe, not an empty shell.
  inventory = await collectInventory((what, err) => log.warn({ what, err: err.message }, 'could not read host inventory (is /proc mounted?)'));
  // Probes and the job runner need Linux; elsewhere (a developer's laptop) the agent only heartbeats.
  const linux = process.platform === 'linux';
  if (linux) await scanner.start();
  else log.warn(`probes and the job runner need Linux (this is ${process.platform}): only the heartbeat and inventory run`);
  const runner = signingKey && linux
    ? new Runner({ api, state, config, log, signingKey, afterRun: () => void scanner.scan(probes) })
    : undefined;
  // The node's own object says which check scripts to run; follow it.
  const nodeWatch = api.watchOwnNode((node) => {
    if (checks.update(node)) void scanner.scan([checks]);
    const next = scanSettings(config, node.spec?.agentConfig);
    if (JSON.stringify({ ...next, disabled: [...next.disabled] }) !== JSON.stringify({ ...settings, disabled: [...settings.disabled] })) {
      settings = next;
      if (linux) void scanner.scan([tls]);
    }
  }, (err) => failed('node watch', err));
  const loops = [heartbeat(), inventoryLoop(), statusLoop()];
  if (runner) {
    void (async () => {
      const b = new Backoff();
      while (!stop.signal.aborted) {
        try {
          await runner.start();
          recovered('runs');
          return;
        } catch (err) {
          failed('runs', err);
          await sleep(b.next(), stop.signal);
        }
      }
    })();
  }
  log.info({ node: `${config.namespace}/${config.nodeName}`, api: config.apiUrl }, 'hyprnode started');
  return {
    async stop() {
      stop.abort();
      await nodeWatch.stop();
      await runner?.stop();
      await scanner.stop();
      publisher.stop();
      await Promise.allSettled(loops);
    },
  };
}
