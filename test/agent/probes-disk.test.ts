import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHostAccess } from '@hyprbox/agent/probes/host';
import { diskProbe, parseDf, parseMounts, usageFrom } from '@hyprbox/agent/probes/disk';
import type { MountUsage } from '@hyprbox/agent/probes/disk';
import { makeRoot } from './probes-fixtures.js';
import type { FixtureRoot } from './probes-fixtures.js';

// Captured from a Debian 12 VM with Docker, a snap and LXCFS, plus hand-added xfs/btrfs/space-in-name lines.
const PROC_MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=4007796k,nr_inodes=1001949,mode=755,inode64 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=804628k,mode=755,inode64 0 0
/dev/vda1 / ext4 rw,relatime,discard,errors=remount-ro 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
pstore /sys/fs/pstore pstore rw,nosuid,nodev,noexec,relatime 0 0
bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=30,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=1234 0 0
hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0
debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0
tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0
fusectl /sys/fs/fuse/connections fusectl rw,nosuid,nodev,noexec,relatime 0 0
configfs /sys/kernel/config configfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/vda15 /boot/efi vfat rw,relatime,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro 0 0
/dev/vdb /data xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
/dev/vdc /srv btrfs rw,relatime,space_cache=v2,subvolid=5,subvol=/ 0 0
/dev/vdd /mnt/my\\040disk ext4 rw,relatime 0 0
binfmt_misc /proc/sys/fs/binfmt_misc binfmt_misc rw,nosuid,nodev,noexec,relatime 0 0
/dev/loop0 /snap/core22/1380 squashfs ro,nodev,relatime,errors=continue,threads=single 0 0
overlay /var/lib/docker/overlay2/5f0c1e/merged overlay rw,relatime,lowerdir=/var/lib/docker/overlay2/l/ABC,upperdir=/var/lib/docker/overlay2/5f0c1e/diff,workdir=/var/lib/docker/overlay2/5f0c1e/work 0 0
nsfs /run/docker/netns/1a2b nsfs rw 0 0
lxcfs /var/lib/lxcfs fuse.lxcfs rw,nosuid,nodev,relatime,user_id=0,group_id=0,allow_other 0 0
sunrpc /run/rpc_pipefs rpc_pipefs rw,relatime 0 0
efivarfs /sys/firmware/efi/efivars efivarfs rw,nosuid,nodev,noexec,relatime 0 0
ramfs /run/credentials/systemd-sysctl.service ramfs ro,nosuid,nodev,noexec,relatime,mode=700 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=804624k,nr_inodes=201156,mode=700,uid=1000,gid=1000,inode64 0 0
`;

describe('probes: disk', () => {
  it('parses /proc/mounts: keeps ext4, vfat, xfs, btrfs; skips pseudo file systems and container overlays', () => {
    expect(parseMounts(PROC_MOUNTS).map((m) => [m.mount, m.fsType, m.device])).to.deep.equal([
      ['/', 'ext4', '/dev/vda1'],
      ['/boot/efi', 'vfat', '/dev/vda15'],
      ['/data', 'xfs', '/dev/vdb'],
      ['/srv', 'btrfs', '/dev/vdc'],
      ['/mnt/my disk', 'ext4', '/dev/vdd'],
    ]);
    expect(parseMounts(PROC_MOUNTS)[0]!.options).to.deep.equal(['rw', 'relatime', 'discard', 'errors=remount-ro']);
  });

  it('keeps overlay only as a container root; a later mount over the same point hides the earlier one', () => {
    const text = [
      'overlay / overlay rw,relatime,lowerdir=/l,upperdir=/u,workdir=/w 0 0',
      '/dev/sda1 /data ext4 rw 0 0',
      'tmpfs /data tmpfs rw 0 0', // hides /data
      '/dev/sdb1 /backup ext4 rw 0 0',
      '/dev/sdc1 /backup xfs rw 0 0', // the visible one
      'garbage',
      '',
    ].join('\n');
    expect(parseMounts(text).map((m) => `${m.mount} ${m.fsType}`)).to.deep.equal(['/ overlay', '/backup xfs']);
  });

  it('computes usage as df does (reserved blocks are not available, percent rounded up)', () => {
    expect(usageFrom({ bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 })).to.deep.equal({
      sizeBytes: 4096000, usedBytes: 2867200, usedPercent: 74, // 700 / (700 + 250) = 73.68 → 74
    });
    expect(usageFrom({ bsize: 4096, blocks: 100, bfree: 10, bavail: 0 })).to.deep.equal({ sizeBytes: 409600, usedBytes: 368640, usedPercent: 100 });
    expect(usageFrom({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).to.equal(null);
  });

  it('parses df -P -B1 output', () => {
    const out = 'Filesystem         1-blocks        Used   Available Capacity Mounted on\n'
      + '/dev/vda       270553174016 24407326720 84536967168      23% /\n'
      + '/dev/vdd          1000000      500000      500000      50% /mnt/my disk\n';
    expect(parseDf(out)).to.deep.equal([
      { mount: '/', fsType: '', sizeBytes: 270553174016, usedBytes: 24407326720, usedPercent: 23 },
      { mount: '/mnt/my disk', fsType: '', sizeBytes: 1000000, usedBytes: 500000, usedPercent: 50 },
    ]);
  });

  describe('collect', () => {
    let fx: FixtureRoot;
    afterEach(() => fx.cleanup());

    it('statfs of a real mount (the fixture root) matches df; an unstatable mount is unknown with the reason', async () => {
      fx = await makeRoot({
        'proc/mounts': '/dev/vda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vdb /missing xfs rw 0 0\n',
      });
      const r = await diskProbe.collect(createHostAccess(fx.root));
      const df = parseDf(execFileSync('df', ['-P', '-B1', fx.root], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }))[0]!;
      expect(r['disk.mounts']!.state).to.equal('ok');
      const mounts = (r['disk.mounts'] as { value: MountUsage[] }).value;
      expect(mounts.map((m) => m.mount)).to.deep.equal(['/', '/missing']);
      const root = mounts[0]!;
      expect(root.fsType).to.equal('ext4');
      expect(root.sizeBytes).to.equal(df.sizeBytes);
      expect(Math.abs(root.usedBytes! - df.usedBytes!)).to.be.below(512 * 1024 * 1024); // other processes write meanwhile
      expect(Math.abs(root.usedPercent! - df.usedPercent!)).to.be.at.most(1);
      expect(r['disk.usage:/']).to.deep.equal({ state: 'ok', value: root.usedPercent });
      expect(mounts[1]).to.deep.equal({
        mount: '/missing', fsType: 'xfs', sizeBytes: null, usedBytes: null, usedPercent: null,
        error: 'statfs /missing: no such file or directory (ENOENT)',
      });
      expect(r['disk.usage:/missing']).to.deep.equal({ state: 'unknown', reason: 'statfs /missing: no such file or directory (ENOENT)' });
      expect(Object.keys(r).sort()).to.deep.equal(['disk.mounts', 'disk.usage:/', 'disk.usage:/missing']);
    });

    it('unreadable /proc/mounts: disk.mounts unknown, no per-mount guesses', async () => {
      fx = await makeRoot({});
      expect(await diskProbe.collect(createHostAccess(fx.root))).to.deep.equal({
        'disk.mounts': { state: 'unknown', reason: 'cannot read /proc/mounts: no such file or directory (ENOENT)' },
      });
    });
  });
});
