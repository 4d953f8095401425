import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHostAccess, isMissing, MAX_FILE_BYTES } from '@hyprbox/agent/probes/host';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureRoot } from './probes-fixtures.js';

describe('probes: host access under a root', () => {
  let fx: FixtureRoot;
  beforeEach(async () => {
    fx = await makeRoot({
      'etc/hostname': 'fixture-host\n',
      'usr/share/openssh/sshd_config': 'Port 2022\n',
      'etc/ssh/sshd_config': { symlink: '/usr/share/openssh/sshd_config' },
      'etc/ssh/rel': { symlink: '../hostname' },
      'etc/evil': { symlink: '../../outside.txt' },
      'etc/evil-abs-dotdot': { symlink: '/../outside.txt' },
      'etc/loop': { symlink: 'loop' },
      'etc/somedir': { dir: true },
      'etc/x/a.conf': 'a',
      'etc/x/b.conf': 'b',
      'etc/x/c.txt': 'c',
      'etc/x/.d.conf': 'd',
      'etc/x/ab.conf': 'ab',
      'etc/x/sub/x.conf': 'x',
      'home/alice/.ssh/authorized_keys': 'k\n',
      'home/bob/.ssh/authorized_keys': 'k\n',
      'home/carol/notes': '',
      'home/.hidden/.ssh/authorized_keys': 'k\n',
    });
    await writeFile(path.join(fx.outside, 'outside.txt'), 'SECRET outside the root\n');
  });
  afterEach(() => fx.cleanup());

  it('reads files under the root, absolute symlinks resolving inside the root, not on this machine', async () => {
    const host = createHostAccess(fx.root);
    expect(await host.readFile('/etc/hostname')).to.deep.equal({ path: '/etc/hostname', content: 'fixture-host\n' });
    expect(await host.readFile('/etc/ssh/sshd_config')).to.deep.equal({ path: '/etc/ssh/sshd_config', content: 'Port 2022\n' });
    expect(await host.readFile('/etc/ssh/rel')).to.deep.equal({ path: '/etc/ssh/rel', content: 'fixture-host\n' });
    expect(await host.readFile('etc/./x//a.conf')).to.deep.equal({ path: '/etc/x/a.conf', content: 'a' });
  });

  it('refuses paths that escape the root, by .. or by symlink, and never reads them', async () => {
    const host = createHostAccess(fx.root);
    for (const p of ['/../outside.txt', '/etc/../../outside.txt', '/etc/evil', '/etc/evil-abs-dotdot']) {
      const r = await host.readFile(p);
      expect(r.content, p).to.equal(undefined);
      expect(r.error, p).to.match(/: path escapes the host root \(EESCAPE\)$/);
      expect(isMissing(r), p).to.equal(false);
    }
    // On the real root there is nothing above '/': '/..' is '/', as for the kernel (read here: the fixture only).
    expect((await createHostAccess('/').readFile(`/../..${fx.root}/etc/hostname`)).content).to.equal('fixture-host\n');
  });

  it('answers errors instead of throwing: missing, directory, loop, FIFO; tells missing from unreadable', async () => {
    const host = createHostAccess(fx.root);
    const missing = await host.readFile('/etc/nope/sshd_config');
    expect(missing).to.deep.equal({ path: '/etc/nope/sshd_config', error: 'cannot read /etc/nope/sshd_config: no such file or directory (ENOENT)' });
    expect(isMissing(missing)).to.equal(true);
    const notDir = await host.readFile('/etc/hostname/x');
    expect(notDir.error).to.equal('cannot read /etc/hostname/x: a parent is not a directory (ENOTDIR)');
    expect(isMissing(notDir)).to.equal(true);
    const dir = await host.readFile('/etc/somedir');
    expect(dir).to.deep.equal({ path: '/etc/somedir', error: 'cannot read /etc/somedir: is a directory (EISDIR)' });
    expect(isMissing(dir)).to.equal(false);
    expect((await host.readFile('/etc/loop')).error).to.equal('cannot read /etc/loop: too many levels of symbolic links (ELOOP)');
    execFileSync('mkfifo', [path.join(fx.root, 'etc/fifo')]);
    expect((await host.readFile('/etc/fifo')).error).to.equal('cannot read /etc/fifo: not a regular file (ENOTREG)');
  });

  it('reads at most 4 MiB', async () => {
    expect(MAX_FILE_BYTES).to.equal(4 * 1024 * 1024);
    await writeFile(path.join(fx.root, 'etc/big'), Buffer.alloc(MAX_FILE_BYTES + 1, 0x61));
    await writeFile(path.join(fx.root, 'etc/exact'), Buffer.alloc(MAX_FILE_BYTES, 0x61));
    const host = createHostAccess(fx.root);
    expect((await host.readFile('/etc/big')).error).to.equal('cannot read /etc/big: larger than the 4 MiB limit (EFBIG)');
    expect((await host.readFile('/etc/exact')).content?.length).to.equal(MAX_FILE_BYTES);
  });

  it('globs *, ?, [...] per segment, sorted, skipping dot files unless asked, literal paths only if they exist', async () => {
    const host = createHostAccess(fx.root);
    expect(await host.glob('/etc/x/*.conf')).to.deep.equal(['/etc/x/a.conf', '/etc/x/ab.conf', '/etc/x/b.conf']);
    expect(await host.glob('/etc/x/?.conf')).to.deep.equal(['/etc/x/a.conf', '/etc/x/b.conf']);
    expect(await host.glob('/etc/x/[b-c].*')).to.deep.equal(['/etc/x/b.conf', '/etc/x/c.txt']);
    expect(await host.glob('/etc/x/[!a]*')).to.deep.equal(['/etc/x/b.conf', '/etc/x/c.txt', '/etc/x/sub']);
    expect(await host.glob('/etc/x/.*.conf')).to.deep.equal(['/etc/x/.d.conf']);
    expect(await host.glob('/etc/*/*.conf')).to.deep.equal(['/etc/x/a.conf', '/etc/x/ab.conf', '/etc/x/b.conf']);
    expect(await host.glob('/etc/x/*/x.conf')).to.deep.equal(['/etc/x/sub/x.conf']);
    expect(await host.glob('/home/*/.ssh/authorized_keys')).to.deep.equal(['/home/alice/.ssh/authorized_keys', '/home/bob/.ssh/authorized_keys']);
    expect(await host.glob('/etc/x/a.conf')).to.deep.equal(['/etc/x/a.conf']);
    expect(await host.glob('/etc/x/none.conf')).to.deep.equal([]);
    expect(await host.glob('/etc/nodir/*.conf')).to.deep.equal([]);
    expect(await host.glob('/etc/x/\\*.conf')).to.deep.equal([]);
    // through an absolute symlink: resolved inside the root
    expect(await host.glob('/etc/ssh/sshd_confi?')).to.deep.equal(['/etc/ssh/sshd_config']);
  });

  it('runs commands without a shell; inside a root they run under chroot, a missing binary is "could not start"', async () => {
    const local = createHostAccess('/');
    const r = await local.run(process.execPath, ['-e', 'process.stdout.write("out $HOME"); process.stderr.write("err"); process.exit(3)']);
    expect(r).to.deep.equal({ exitCode: 3, stdout: 'out $HOME', stderr: 'err' });
    const missing = await local.run('hyprbox-no-such-binary', []);
    expect(missing.exitCode).to.equal(undefined);
    expect(missing.error).to.equal('hyprbox-no-such-binary not found');
    const slow = await local.run(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 300 });
    expect(slow.exitCode).to.equal(undefined);
    expect(slow.error).to.equal(`${process.execPath} timed out after 300 ms`);

    const chrooted = await createHostAccess(fx.root).run('dpkg-query', ['-W']);
    expect(chrooted.exitCode).to.equal(undefined);
    expect(chrooted.error).to.match(/^chroot: /);
  });
});
