// Fixture roots for probe tests: a temporary directory used as the host root (createHostAccess(root)), so no
// test reads or writes the machine's own /etc.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type FixtureEntry = string | { symlink: string } | { dir: true };

export interface FixtureRoot {
  /** The directory to pass as root. */
  root: string;
  /** The temporary directory around it (root's parent), for "outside the root" files. */
  outside: string;
  add(files: Record<string, FixtureEntry>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeRoot(files: Record<string, FixtureEntry> = {}): Promise<FixtureRoot> {
  const outside = await mkdtemp(path.join(tmpdir(), 'hyprbox-probe-'));
  const root = path.join(outside, 'root');
  await mkdir(root);
  const add = async (entries: Record<string, FixtureEntry>): Promise<void> => {
    for (const [p, entry] of Object.entries(entries)) {
      const local = path.join(root, p);
      await mkdir(path.dirname(local), { recursive: true });
      if (typeof entry === 'string') await writeFile(local, entry);
      else if ('symlink' in entry) await symlink(entry.symlink, local);
      else await mkdir(local, { recursive: true });
    }
  };
  await add(files);
  return { root, outside, add, cleanup: () => rm(outside, { recursive: true, force: true }) };
}
