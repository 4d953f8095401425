// Smoke test of the test-host harness (test/lib/testhost.ts): a host is a real Debian bookworm userland
// that commands run in, isolated from the machine's own files and network, and nothing is left behind.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createTestHost, ensureBaseImage, mountsUnder, processesOf, useTestHost, type TestHost } from '../lib/testhost.js';

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const mountinfo = (): string => readFileSync('/proc/self/mountinfo', 'utf8');

/** A one-route HTTP server on the machine's side of a host's link. */
async function serveOn(address: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end('hello from the machine\n'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** An HTTP GET from inside a host with bash's /dev/tcp (in every base image; curl is not). */
const httpGet = (host: TestHost, address: string, port: number): Promise<{ code: number; stdout: string; stderr: string }> =>
  host.exec(['bash', '-c', 'exec 3<>/dev/tcp/$ADDR/$PORT && printf "GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n" >&3 && cat <&3'], {
    env: { ADDR: address, PORT: String(port) },
    timeoutMs: 10_000,
  });

describe('test hosts (harness smoke test)', function () {
  this.timeout(30 * 60_000); // only the very first base-image build is slow

  describe('a host', function () {
    const t = useTestHost({ name: 'smoke-a' });

    it('is Debian bookworm', async function () {
      const r = await t.host.exec(['cat', '/etc/os-release']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^VERSION_CODENAME=bookworm$/m);
    });

    it('has its own hostname and a clean environment', async function () {
      const r = await t.host.exec(['sh', '-c', 'uname -n; cat /etc/hostname; env | sort']);
      expect(r.code, r.stderr).to.equal(0);
      const [uname, etc, ...env] = r.stdout.trim().split('\n');
      expect(uname).to.equal('smoke-a');
      expect(etc).to.equal('smoke-a');
      expect(env).to.include('PATH=/usr/sbin:/usr/bin:/sbin:/bin');
      expect(env.filter((l) => /^(HYPRBOX|NODE|npm)_/i.test(l))).to.deep.equal([]);
    });

    it('has openssh-server, and `sshd -t` passes with freshly generated host keys', async function () {
      const pkg = await t.host.exec(['dpkg-query', '-W', 'openssh-server']);
      expect(pkg.code, pkg.stderr).to.equal(0);
      expect(pkg.stdout).to.match(/^openssh-server\t1:9\./);
      // The base image carries no host keys: every host makes its own.
      expect((await t.host.exec(['sh', '-c', 'ls /etc/ssh/ssh_host_* 2>/dev/null | wc -l'])).stdout.trim()).to.equal('0');
      const keygen = await t.host.exec(['ssh-keygen', '-A']);
      expect(keygen.code, keygen.stderr).to.equal(0);
      const check = await t.host.exec(['sh', '-c', 'mkdir -p /run/sshd && sshd -t && echo ok']);
      expect(check.code, check.stderr).to.equal(0);
      expect(check.stdout.trim()).to.equal('ok');
    });

    it('has /proc and a minimal /dev that bash, coreutils and dpkg work with', async function () {
      const r = await t.host.exec(['bash', '-c', 'echo x > /dev/null && head -c 8 /dev/urandom | wc -c && ls /dev && test -r /proc/self/status && dpkg --audit && echo fine']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^8$/m);
      expect(r.stdout).to.match(/fine\n$/);
      expect(r.stdout).not.to.match(/\bsda|vda|nvme/);
    });

    it('writes files inside the host, never on the machine', async function () {
      const name = `hbx-smoke-${randomBytes(4).toString('hex')}`;
      t.host.writeFile(`/etc/${name}`, 'inside\n', 0o600);
      expect(readFileSync(`${t.host.root}/etc/${name}`, 'utf8')).to.equal('inside\n');
      expect(existsSync(`/etc/${name}`)).to.equal(false);
      const r = await t.host.exec(['stat', '-c', '%a %n', `/etc/${name}`]);
      expect(r.stdout.trim()).to.equal(`600 /etc/${name}`);
      // Written from inside with a command: also only in the host.
      await t.host.exec(['sh', '-c', `echo from-inside > /etc/${name}.2`]);
      expect(t.host.readFile(`/etc/${name}.2`)).to.equal('from-inside\n');
      expect(existsSync(`/etc/${name}.2`)).to.equal(false);
    });

    it('resolves .. and symlinks inside the host root, as the chroot would', async function () {
      const name = `hbx-smoke-${randomBytes(4).toString('hex')}`;
      await t.host.exec(['ln', '-s', `/etc/${name}`, '/tmp/abs-link']);
      await t.host.exec(['ln', '-s', '../../../../../../etc', '/tmp/rel-link']);
      t.host.writeFile('/tmp/abs-link', 'a\n');
      t.host.writeFile(`/tmp/rel-link/${name}.rel`, 'b\n');
      t.host.writeFile(`/../../../etc/${name}.dots`, 'c\n');
      for (const suffix of ['', '.rel', '.dots']) {
        expect(existsSync(`${t.host.root}/etc/${name}${suffix}`), suffix).to.equal(true);
        expect(existsSync(`/etc/${name}${suffix}`), suffix).to.equal(false);
      }
      expect(() => t.host.writeFile('relative/path', 'x')).to.throw(/absolute/);
    });

    it("runs the machine's node binary bind-mounted read-only (how the agent runs in a host)", async function () {
      await t.host.bind(process.execPath, '/usr/local/bin/node');
      const r = await t.host.exec(['/usr/local/bin/node', '-e', 'console.log(process.version, require("os").hostname())']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal(`${process.version} smoke-a`);
      const w = await t.host.exec(['sh', '-c', 'echo x > /usr/local/bin/node']);
      expect(w.code).to.not.equal(0);
    });

    it('reports exit codes and times out', async function () {
      expect((await t.host.exec(['sh', '-c', 'exit 7'])).code).to.equal(7);
      expect((await t.host.exec(['cat'], { input: 'piped\n' })).stdout).to.equal('piped\n');
      const slow = await t.host.exec(['sleep', '30'], { timeoutMs: 300 });
      expect(slow.code).to.equal(124);
    });
  });

  describe('a networked host', function () {
    const t = useTestHost({ network: true, sys: true });
    let server: Server | undefined;
    after(() => server?.close());

    it('has its own namespace, address and /sys', async function () {
      const h = t.host;
      expect(h.netns).to.match(/^hbx-[0-9a-f]{8}$/);
      expect(ip('netns', 'list')).to.contain(h.netns);
      expect(h.address).to.match(/^10\.\d+\.\d+\.2$/);
      expect(h.hostAddress).to.equal(h.address!.replace(/\.2$/, '.1'));
      const r = await h.exec(['sh', '-c', 'ip -o -4 addr show; ls /sys/class/net']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`inet ${h.address}/30`);
      expect(r.stdout).not.to.contain('192.0.2.');
      expect(r.stdout.split(/\s+/)).to.include.members(['eth0', 'lo']);
      expect(h.readFile('/etc/hosts')).to.contain(`${h.address}\t${h.name}`);
    });

    it('reaches a server on hostAddress in the root namespace, and nothing else', async function () {
      const h = t.host;
      const s = await serveOn(h.hostAddress!);
      server = s.server;
      const r = await httpGet(h, h.hostAddress!, s.port);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^HTTP\/1\.1 200/);
      expect(r.stdout).to.contain('hello from the machine');
      // The machine's loopback is not the host's loopback.
      const loop = await httpGet(h, '127.0.0.1', s.port);
      expect(loop.code).to.not.equal(0);
    });
  });

  describe('two hosts at once', function () {
    it('get different names, namespaces and subnets, each reaching only its own link', async function () {
      const hosts = await Promise.all([createTestHost({ network: true }), createTestHost({ network: true })]);
      const servers: Server[] = [];
      try {
        const [a, b] = hosts as [TestHost, TestHost];
        expect(a.root).to.not.equal(b.root);
        expect(a.netns).to.not.equal(b.netns);
        expect(a.address).to.not.equal(b.address);
        expect(a.hostAddress!.split('.').slice(0, 3)).to.not.deep.equal(b.hostAddress!.split('.').slice(0, 3));
        const sa = await serveOn(a.hostAddress!);
        const sb = await serveOn(b.hostAddress!);
        servers.push(sa.server, sb.server);
        expect((await httpGet(a, a.hostAddress!, sa.port)).code).to.equal(0);
        expect((await httpGet(b, b.hostAddress!, sb.port)).code).to.equal(0);
        expect((await httpGet(a, b.hostAddress!, sb.port)).code).to.not.equal(0);
      } finally {
        for (const s of servers) s.close();
        await Promise.all(hosts.map((h) => h.destroy()));
      }
    });
  });

  describe('destroy()', function () {
    it('kills its processes and removes mounts, namespace, veth and directory; twice is fine', async function () {
      const h = await createTestHost({ network: true, sys: true });
      const { root, netns } = h;
      const daemon = h.spawn(['sh', '-c', 'sleep 1000 & sleep 1000 & setsid sleep 1000 & wait']);
      await h.bind(process.execPath, '/usr/local/bin/node');
      const deadline = Date.now() + 5000;
      while (processesOf(root, netns).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(processesOf(root, netns).length).to.be.at.least(4);
      expect(mountsUnder(root).length).to.be.at.least(6);
      await h.destroy();
      await h.destroy();
      expect(daemon.pid && existsSync(`/proc/${daemon.pid}/status`) ? readFileSync(`/proc/${daemon.pid}/status`, 'utf8') : 'gone').to.not.match(/State:\s+[RS]/);
      expect(existsSync(root)).to.equal(false);
      expect(mountinfo()).to.not.contain(root);
      expect(ip('netns', 'list')).to.not.contain(netns);
      expect(ip('-o', 'link', 'show')).to.not.contain(netns!.replace('hbx-', 'hbh'));
      expect(processesOf(root, netns)).to.deep.equal([]);
      expect(() => h.spawn(['true'])).to.throw(/destroyed/);
    });
  });

  describe('the base image', function () {
    it('is cached outside the clone and found again at once', async function () {
      const started = Date.now();
      const image = await ensureBaseImage();
      const ms = Date.now() - started;
      expect(image).to.match(/^\/.*\/debian-bookworm-minbase-[a-z0-9]+-[0-9a-f]{16}\.tar\.(zst|gz)$/);
      expect(image.startsWith(process.cwd())).to.equal(false);
      expect(existsSync(image)).to.equal(true);
      // Reported, not asserted: creating from the cache should take seconds.
      const t0 = Date.now();
      const h = await createTestHost();
      const created = Date.now() - t0;
      const t1 = Date.now();
      await h.destroy();
      console.error(`      cached lookup ${ms} ms, create ${created} ms, destroy ${Date.now() - t1} ms`);
    });
  });
});
