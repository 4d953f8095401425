// docker-prune and tls-renew against the real daemons they act on, run DIRECTLY on networked Debian test hosts
// (one host each, its own network namespace) the way the agent runs a preset (test/presets/run-preset.ts):
// a dockerd started by hand (no systemd, cgroups delegation or iptables) holding unused local images, and
// certbot with a real certificate from pebble, Debian's ACME test server, listening inside the host.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { check, runPreset } from '../presets/run-preset.js';
import { PRESET_PACKAGES, useTestHost, type TestHost } from '../lib/testhost.js';
import { sleep, until } from '../lib/wait.js';

const run = promisify(execFile);
// Both hosts share one cached image: the preset packages plus the two daemons.
const PACKAGES = [...PRESET_PACKAGES, 'docker.io', 'pebble'];

/** A shell script in the host that must succeed. */
const sh = async (host: TestHost, script: string, timeoutMs = 120_000): Promise<string> => {
  const r = await host.exec(['bash', '-euo', 'pipefail', '-c', script], { timeoutMs });
  expect(r.code, `${script}\n${r.stdout}${r.stderr}`).to.equal(0);
  return r.stdout;
};

/** A daemon in the background, its output in `log` inside the host (the host's teardown stops it). */
const daemon = (host: TestHost, cmd: string, log: string, env: Record<string, string> = {}): void => {
  host.spawn(['sh', '-c', `exec ${cmd} > ${log} 2>&1`], { env, stdio: 'ignore', detached: true }).unref();
};

/** Runs a preset twice: the first converges, the second is a no-op that succeeds; check says compliant after each. */
const twice = async (host: TestHost, name: string, params: Record<string, unknown>, noop: RegExp): Promise<string> => {
  const first = await runPreset(host, name, params);
  expect(first.ok, first.log).to.equal(true);
  expect((await check(host, name, params)).code, `${name} check after the run`).to.equal(0);
  const second = await runPreset(host, name, params);
  expect(second.ok, second.log).to.equal(true);
  expect(second.steps.find((s) => s.step === 'apply')!.stdout, second.log).to.match(noop);
  expect((await check(host, name, params)).code).to.equal(0);
  return first.log;
};

describe('docker-prune against a real dockerd in a Debian test host', function () {
  this.timeout(600_000);
  const t = useTestHost({ network: true, packages: PACKAGES });
  // Imported images are younger than the default 24 h; 50% of a 64 MiB data root is what 5 x 8 MiB reaches.
  const params = { olderThanHours: 0, threshold: 50 };

  before(async function () {
    this.timeout(180_000);
    // Docker's data root on its own small filesystem, so a few MiB of images move its usage percent.
    await sh(t.host, 'mkdir -p /var/lib/docker');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'hbx-docker', t.host.path('/var/lib/docker')]);
    // dockerd refuses to start without a devices cgroup (even to never run a container): the machine's, read-only.
    await t.host.bind('/sys/fs/cgroup/devices', '/sys/fs/cgroup/devices');
    daemon(t.host, 'dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs', '/var/log/dockerd.log');
    await until('docker info', async () => (await t.host.exec(['docker', 'info'])).code === 0, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${t.host.readFile('/var/log/dockerd.log')}`);
    });
    // No registry here: images made from local tarballs, none used by a container.
    for (const n of [1, 2, 3, 4, 5]) {
      await sh(t.host, `d=$(mktemp -d); head -c 8M /dev/urandom > "$d/blob"; tar -C "$d" -c . | docker import - junk:${n} > /dev/null; rm -rf "$d"`);
    }
    // prune's "until=0h" keeps what was created in the current second: start when the newest image is older.
    await sh(t.host, `c=$(date -d "$(docker image inspect -f '{{.Created}}' junk:5)" +%s); while [ "$(date +%s)" -le $((c + 1)) ]; do sleep 0.2; done`);
  });

  it('drifted with unused images; precheck, prune and "usage dropped" verify pass; a second run is a no-op', async () => {
    const c = await check(t.host, 'docker-prune', params);
    expect(c.code, c.stdout + c.stderr).to.equal(1);
    const log = await twice(t.host, 'docker-prune', params, /nothing to do/);
    expect(log).to.match(/Docker's filesystem: \d+% full; \d+ bytes used before, \d+ now/);
    expect(await sh(t.host, 'docker images -q junk')).to.equal('');
  });
});

describe('tls-renew against certbot and a pebble ACME server in a Debian test host', function () {
  this.timeout(600_000);
  const t = useTestHost({ network: true, packages: PACKAGES });
  // pebble issues certificates valid 1 day + MARGIN s, so with days: 1 a certificate is "expiring" once it is
  // MARGIN s old and a fresh one is not: the wait below is for that, the runs after it take far less.
  const MARGIN = 60;
  const params = { days: 1, certName: 'www.example.test' };
  const certInfo = (): Promise<string> => sh(t.host, 'openssl x509 -noout -serial -enddate -in /etc/letsencrypt/live/www.example.test/cert.pem');

  before(async function () {
    this.timeout(300_000);
    // pebble's own HTTPS certificate from a throwaway CA this (disposable) host trusts, as certbot must.
    await sh(t.host, `
      mkdir -p /etc/pebble && cd /etc/pebble
      openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=hbx-test-ca -days 2 -keyout ca.key -out ca.pem 2> /dev/null
      openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out req.pem 2> /dev/null
      printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
      openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out cert.pem 2> /dev/null
      cp ca.pem /usr/local/share/ca-certificates/hbx-test-ca.crt && update-ca-certificates > /dev/null`);
    t.host.writeFile('/etc/pebble/config.json', JSON.stringify({
      pebble: {
        listenAddress: '127.0.0.1:14000', managementListenAddress: '127.0.0.1:15000',
        certificate: '/etc/pebble/cert.pem', privateKey: '/etc/pebble/key.pem',
        httpPort: 5002, tlsPort: 5001, ocspResponderURL: '', externalAccountBindingRequired: false,
        certificateValidityPeriod: 86_400 + MARGIN,
      },
    }));
    // Every challenge valid without a resolver, no random sleeps or rejected nonces (deterministic runs).
    daemon(t.host, 'pebble -config /etc/pebble/config.json', '/var/log/pebble.log',
      { PEBBLE_VA_ALWAYS_VALID: '1', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' });
    await until('pebble', async () => (await t.host.exec(['openssl', 's_client', '-connect', '127.0.0.1:14000'], { input: '' })).code === 0, 60_000);
    await sh(t.host, `certbot certonly --non-interactive --agree-tos --register-unsafely-without-email --standalone \\
      --server https://127.0.0.1:14000/dir --cert-name www.example.test -d www.example.test`);
  });

  it('a certificate due for renewal is drifted; certbot renews it from the ACME server; a second run is a no-op', async () => {
    const first = await certInfo();
    // Polled every 2 s: each check is a bash and an openssl in the host.
    await until(`the certificate to be ${MARGIN} s old (expiring within a day)`, async () => (await check(t.host, 'tls-renew', params)).code === 1 || (await sleep(2000), false), 3 * MARGIN * 1000);
    const log = await twice(t.host, 'tls-renew', params, /no certificate expires within 1 days/);
    expect(log).to.contain('renewing www.example.test');
    const renewed = await certInfo();
    expect(renewed.match(/^serial=.*$/m)![0]).to.not.equal(first.match(/^serial=.*$/m)![0]);
    expect(renewed.match(/^notAfter=.*$/m)![0]).to.not.equal(first.match(/^notAfter=.*$/m)![0]);
  });
});
