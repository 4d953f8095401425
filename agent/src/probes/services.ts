// services: which service manager runs the host, and whether named services are active and enabled.
//
// systemd counts only when /run/systemd/system exists (sd_booted(3)): a systemctl binary on disk says nothing
// about whether systemd is PID 1 — in a container or a chroot test host it is not, and systemctl can only
// fail. sysvinit counts when its control FIFO /run/initctl exists. Otherwise there is no manager to ask and
// every service field is unknown with NO_MANAGER — never "inactive": nobody was asked.
import type { HostAccess, Probe, ProbeField, ProbeResult } from './types.js';
import { ok, unknown } from './types.js';

export type ServiceManager = 'systemd' | 'sysvinit' | 'none';

export const NO_MANAGER = 'no service manager to ask (systemd is not running)';

/** Words `systemctl is-active` prints. */
export const ACTIVE_STATES = ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading', 'refreshing', 'maintenance'] as const;
export type ActiveState = (typeof ACTIVE_STATES)[number];

/** Words `systemctl is-enabled` prints. */
export const ENABLED_STATES = [
  'enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'alias', 'masked', 'masked-runtime', 'static',
  'indirect', 'disabled', 'generated', 'transient', 'bad', 'not-found',
] as const;
export type EnabledState = (typeof ENABLED_STATES)[number];

function firstWord(stdout: string): string {
  return (stdout.trim().split('\n')[0] ?? '').trim();
}

/** `systemctl is-active <unit>` stdout → its state word, or null when it printed none of them. */
export function parseIsActive(stdout: string): ActiveState | null {
  const w = firstWord(stdout);
  return (ACTIVE_STATES as readonly string[]).includes(w) ? (w as ActiveState) : null;
}

/** `systemctl is-enabled <unit>` stdout → its state word, or null when it printed none of them. */
export function parseIsEnabled(stdout: string): EnabledState | null {
  const w = firstWord(stdout);
  return (ENABLED_STATES as readonly string[]).includes(w) ? (w as EnabledState) : null;
}

/** LSB init-script status exit codes: 0 running, 1/2 dead with a pid/lock file left, 3 not running, 4 unknown. */
export function lsbStatus(exitCode: number): ActiveState | null {
  switch (exitCode) {
    case 0:
      return 'active';
    case 1:
    case 2:
      return 'failed';
    case 3:
      return 'inactive';
    default:
      return null;
  }
}

async function exists(host: HostAccess, p: string): Promise<boolean> {
  try {
    return (await host.glob(p)).length > 0;
  } catch {
    return false;
  }
}

export async function detectServiceManager(host: HostAccess): Promise<ServiceManager> {
  if (await exists(host, '/run/systemd/system')) return 'systemd';
  if (await exists(host, '/run/initctl')) return 'sysvinit';
  return 'none';
}

/** Service names are passed as arguments, never through a shell; still, refuse what cannot be a unit name. */
const SAFE_NAME = /^[A-Za-z0-9@._:\\-]+$/;

function why(cmd: string, r: { exitCode?: number; stdout: string; stderr: string; error?: string }): string {
  if (r.exitCode === undefined) return `${cmd} could not run: ${r.error ?? 'not found'}`;
  const msg = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  return `${cmd} exited ${r.exitCode} without a state${msg ? `: ${msg}` : ''}`;
}

async function systemdState(host: HostAccess, name: string): Promise<[ProbeField, ProbeField]> {
  const [a, e] = await Promise.all([
    host.run('systemctl', ['is-active', '--', name]),
    host.run('systemctl', ['is-enabled', '--', name]),
  ]);
  // is-active/is-enabled exit non-zero for "inactive"/"disabled": the printed word is the answer.
  const active = a.exitCode !== undefined ? parseIsActive(a.stdout) : null;
  const enabled = e.exitCode !== undefined ? parseIsEnabled(e.stdout) : null;
  return [
    active !== null ? ok(active) : unknown(why('systemctl is-active', a)),
    enabled !== null ? ok(enabled) : unknown(why('systemctl is-enabled', e)),
  ];
}

async function sysvState(host: HostAccess, name: string): Promise<[ProbeField, ProbeField]> {
  if (!(await exists(host, `/etc/init.d/${name}`))) return [ok('inactive'), ok('not-found')];
  const r = await host.run('service', [name, 'status']);
  const state = r.exitCode !== undefined ? lsbStatus(r.exitCode) : null;
  const active = state !== null ? ok(state) : unknown(r.exitCode === 4 ? `service ${name} status: state unknown (LSB exit 4)` : why(`service ${name} status`, r));
  // Enabled: a start link in a multi-user runlevel (update-rc.d/insserv create S<NN><name>).
  let enabled: ProbeField;
  try {
    enabled = ok((await host.glob(`/etc/rc[2345].d/S[0-9][0-9]${name}`)).length > 0 ? 'enabled' : 'disabled');
  } catch (err) {
    enabled = unknown(`cannot list /etc/rc?.d: ${err instanceof Error ? err.message : String(err)}`);
  }
  return [active, enabled];
}

export function servicesProbe(names: string[]): Probe {
  return {
    name: 'services',
    watches() {
      // Service state lives in the manager, not in files; the interval scan and post-run probes cover it.
      return Promise.resolve([]);
    },
    async collect(host) {
      const manager = await detectServiceManager(host);
      const result: ProbeResult = { 'services.manager': ok(manager) };
      await Promise.all(
        names.map(async (n) => {
          let fields: [ProbeField, ProbeField];
          if (!SAFE_NAME.test(n)) {
            const bad = unknown(`not a valid service name: ${JSON.stringify(n)}`);
            fields = [bad, bad];
          } else if (manager === 'systemd') fields = await systemdState(host, n);
          else if (manager === 'sysvinit') fields = await sysvState(host, n);
          else fields = [unknown(NO_MANAGER), unknown(NO_MANAGER)];
          result[`services.active:${n}`] = fields[0];
          result[`services.enabled:${n}`] = fields[1];
        }),
      );
      return result;
    },
  };
}
