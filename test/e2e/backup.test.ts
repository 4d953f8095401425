// hyprbox-controller backup and restore, through the real bin: a backup taken while the controller serves,
// restored into a new data directory and served again (objects as at the backup, the same admin token, the
// same signing key, older revisions 410 so clients relist); and the refusals, each leaving nothing behind.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { repoPath } from '../lib/paths.js';

const run = promisify(execFile);
const MAIN = repoPath('controller/dist/src/main.js');
const API = 'hyprbox.io/v1alpha1';
const NODES = `/apis/${API}/namespaces/default/nodes`;

/** Runs the controller bin; resolves with its exit code and output (never rejects on a non-zero exit). */
async function bin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const node = (name: string) => ({ apiVersion: API, kind: 'Node', metadata: { name }, spec: {} });
const mode = (p: string) => statSync(p).mode & 0o777;

describe('backup and restore (hyprbox-controller backup | restore)', function () {
  this.timeout(60_000);
  let work: string;
  let a: TestController | undefined;
  let b: TestController | undefined;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'hyprbox-backup-'));
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up a running controller and restores it into a new data directory that serves the backed-up state', async () => {
    a = await startTestController('sqlite');
    for (const n of ['keep-1', 'keep-2', 'gone-later']) expect((await a.api(NODES, { method: 'POST', json: node(n) })).status).to.equal(201);
    const seen = Number(((await (await a.api(NODES)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);

    const out = join(work, 'bk');
    const made = await bin('backup', '--data-dir', a.dataDir, '--output', out);
    expect(made.code, made.stderr).to.equal(0);
    expect(made.stdout).to.match(/^backed up .* at revision \d+ to /);
    expect(mode(out)).to.equal(0o700);
    const manifest = JSON.parse(readFileSync(join(out, 'hyprbox-backup.json'), 'utf8')) as { revision: number; files: Record<string, string> };
    expect(Object.keys(manifest.files).sort()).to.deep.equal(['admin.kubeconfig', 'hyprbox.db', 'signing.key', 'tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key']);
    for (const f of Object.keys(manifest.files)) expect(mode(join(out, f)), f).to.equal(0o600);
    expect(manifest.revision).to.be.at.least(seen);

    // Changes after the backup are not in it.
    expect((await a.api(NODES, { method: 'POST', json: node('after-backup') })).status).to.equal(201);
    expect((await a.api(`${NODES}/gone-later`, { method: 'DELETE' })).status).to.equal(200);
    const signingKey = readFileSync(join(a.dataDir, 'signing.key'), 'utf8');
    const token = a.token;
    await a.stop();
    a = undefined;

    const dir = join(work, 'restored');
    const restored = await bin('restore', '--from', out, '--data-dir', dir);
    expect(restored.code, restored.stderr).to.equal(0);
    expect(restored.stdout).to.contain(`serves from revision ${manifest.revision + 1_000_000_000}`);
    expect(readdirSync(work).filter((f) => f.includes('partial'))).to.deep.equal([]);
    expect(mode(dir)).to.equal(0o700);

    b = await startTestController('sqlite', [], { dataDir: dir });
    expect(b.token).to.equal(token);
    expect(readFileSync(join(dir, 'signing.key'), 'utf8')).to.equal(signingKey);
    const list = (await (await b.api(NODES)).json()) as { metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string; resourceVersion: string } }> };
    expect(list.items.map((o) => o.metadata.name)).to.deep.equal(['gone-later', 'keep-1', 'keep-2']);
    expect(Number(list.metadata.resourceVersion)).to.equal(manifest.revision + 1_000_000_000);
    // A client that saw the old revisions relists: its watch and its exact list are 410.
    const watch = await b.api(`${NODES}?watch=1&resourceVersion=${seen}`);
    expect(await watch.text()).to.contain('"code":410');
    expect((await b.api(`${NODES}?resourceVersion=${seen}&resourceVersionMatch=Exact`)).status).to.equal(410);
    // Objects keep their resourceVersions: an update built on one still applies, and is then past the bump.
    const keep = list.items.find((o) => o.metadata.name === 'keep-1')!;
    const put = await b.api(`${NODES}/keep-1`, { method: 'PUT', json: { ...node('keep-1'), metadata: { name: 'keep-1', resourceVersion: keep.metadata.resourceVersion, labels: { restored: 'yes' } } } });
    expect(put.status).to.equal(200);
    expect(Number(((await put.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion)).to.be.greaterThan(manifest.revision + 1_000_000_000);
  });

  it('refuses, writing nothing: a used output or data directory, a damaged backup, missing flags, a data directory without a store', async () => {
    const src = join(work, 'bk');
    const used = join(work, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'x'), 'x');
    const cases: Array<[string[], RegExp]> = [
      [['backup', '--data-dir', work, '--output', join(work, 'nope')], /holds no embedded store/],
      [['backup', '--data-dir', join(work, 'restored'), '--output', src], /already exists/],
      [['restore', '--from', src, '--data-dir', used], /is not empty/],
      [['restore', '--from', work, '--data-dir', join(work, 'r1')], /hyprbox-backup\.json is missing/],
      [['restore', '--from', src], /--data-dir is required/],
      [['restore', '--from', src, '--data-dir', join(work, 'r2'), '--bump-revision=-5'], /--bump-revision must be a positive integer/],
      [['restore', '--from', src, '--data-dir', join(work, 'r2'), '--bump-revision', '-5'], /'--bump-revision' argument is ambiguous/],
      [['backup', '--data-dir', src, '--output', join(work, 'r3'), '--force'], /Unknown option '--force'/],
    ];
    for (const [args, message] of cases) {
      const r = await bin(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).to.have.length(1);
    }
    // A byte changed in the store file: the manifest catches it, and nothing is created.
    const damaged = join(work, 'damaged');
    mkdirSync(damaged);
    for (const f of ['hyprbox-backup.json', 'hyprbox.db', 'signing.key', 'admin.kubeconfig']) writeFileSync(join(damaged, f), readFileSync(join(src, f)));
    mkdirSync(join(damaged, 'tls'));
    for (const f of readdirSync(join(src, 'tls'))) writeFileSync(join(damaged, 'tls', f), readFileSync(join(src, 'tls', f)));
    const db = readFileSync(join(damaged, 'hyprbox.db'));
    db[db.length - 100] = db[db.length - 100]! ^ 0xff;
    writeFileSync(join(damaged, 'hyprbox.db'), db);
    const r = await bin('restore', '--from', damaged, '--data-dir', join(work, 'r4'));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/hyprbox\.db does not match the backup's manifest/);
    expect(readdirSync(work).filter((f) => /^r\d|partial/.test(f))).to.deep.equal([]);
    expect(readdirSync(used)).to.deep.equal(['x']);
  });
});
