// postgres.no-backup against a real controller: a node whose agent reports a PostgreSQL container with a
// volume, under profiles without a postgres-backup state, gets a CRITICAL finding (with the recommendation);
// adding the state resolves it, removing it reopens it, the container going away resolves it. What is not
// certain never fires: a container without a volume, another image, a node whose Docker did not answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { findingName } from '@hyprbox/crds';
import { isPostgresImage } from '@hyprbox/controller/reconcilers/postgres-backup';
import { startTestController } from '../lib/controller.js';
import type { TestController } from '../lib/controller.js';
import { until } from '../lib/wait.js';

const G = '/apis/hyprbox.io/v1alpha1';
const NS = `${G}/namespaces/default`;
const API = 'hyprbox.io/v1alpha1';
type Finding = { spec: { severity: string; message: string; recommendation?: { preset: string } }; status?: { phase?: string; history?: Array<{ message?: string }> } };

describe('postgres.no-backup', function () {
  this.timeout(60_000);
  let c: TestController;
  // Not the catalog of presets/: this test defines the two presets it needs.
  const emptyCatalog = mkdtempSync(join(tmpdir(), 'hyprbox-no-presets-'));
  const ok = async (method: string, path: string, body?: unknown, type?: string): Promise<void> => {
    const r = await c.json(method, path, body, type);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).to.be.within(200, 201);
  };
  const finding = async (node: string, container: string): Promise<Finding | undefined> => {
    const r = await c.json<Finding>('GET', `${NS}/findings/${findingName(node, 'postgres.no-backup', `container:${container}`)}`);
    return r.status === 200 ? r.body : undefined;
  };
  const containers = (list: unknown[] | undefined) => ({ status: { inventory: list === undefined ? { hostname: 'x' } : { containers: list } } });
  const setStates = (states: unknown[]) => ok('PATCH', `${NS}/nodeprofiles/db`, { spec: { states } }, 'application/merge-patch+json');

  before(async () => {
    c = await startTestController('sqlite', ['--tls', 'off', '--presets-dir', emptyCatalog]);
    for (const [name, resolves] of [['postgres-backup', ['postgres.no-backup']], ['noop', []]] as const) {
      await ok('POST', `${G}/presets`, { apiVersion: API, kind: 'Preset', metadata: { name }, spec: { risk: 'CONFIRM', apply: { script: 'true' }, resolves } });
    }
    for (const n of ['db-1', 'db-2']) await ok('POST', `${NS}/nodes`, { apiVersion: API, kind: 'Node', metadata: { name: n, labels: { role: 'db' } }, spec: {} });
    await ok('POST', `${NS}/nodeprofiles`, { apiVersion: API, kind: 'NodeProfile', metadata: { name: 'db' }, spec: { nodeSelector: { matchLabels: { role: 'db' } }, states: [{ preset: 'noop' }], remediation: { mode: 'observe' } } });
  });
  after(async () => {
    await c?.stop();
    rmSync(emptyCatalog, { recursive: true, force: true });
  });

  it('recognises PostgreSQL images', () => {
    for (const i of ['postgres', 'postgres:16', 'docker.io/library/postgres:16-alpine', 'postgres@sha256:abcd', 'bitnami/postgresql:15', 'postgis/postgis:16-3.4', 'localhost:5000/postgres:16']) expect(isPostgresImage(i), i).to.equal(true);
    for (const i of ['redis:7', 'postgres-exporter:1', 'prometheuscommunity/postgres-exporter', 'pgadmin4', 'localhost:5000/app:postgres']) expect(isPostgresImage(i), i).to.equal(false);
  });

  it('opens a CRITICAL finding for a postgres container with a volume and no backup state', async () => {
    await ok('PATCH', `${NS}/nodes/db-1/status`, containers([
      { name: 'pg', image: 'postgres:16', volumes: ['/srv/pg'] },
      { name: 'pg-scratch', image: 'postgres:16', volumes: [] },
      { name: 'cache', image: 'redis:7', volumes: ['/srv/redis'] },
    ]), 'application/merge-patch+json');
    await until('the finding', async () => (await finding('db-1', 'pg'))?.spec.recommendation?.preset === 'postgres-backup');
    const f = (await finding('db-1', 'pg'))!;
    expect(f.spec.severity).to.equal('CRITICAL');
    expect(f.status?.phase).to.equal('Open');
    expect(f.spec.message).to.contain('/srv/pg');
    expect(await finding('db-1', 'pg-scratch')).to.equal(undefined);
    expect(await finding('db-1', 'cache')).to.equal(undefined);
  });

  it('never fires where Docker did not answer', async () => {
    await ok('PATCH', `${NS}/nodes/db-2/status`, containers(undefined), 'application/merge-patch+json');
    // A change on db-1 after db-2's is evaluated later by the same queue: once it shows, db-2 was seen.
    await ok('PATCH', `${NS}/nodes/db-1/status`, containers([{ name: 'pg', image: 'postgres:16', volumes: ['/srv/pg'] }, { name: 'pg2', image: 'postgres:15', volumes: ['/srv/pg2'] }]), 'application/merge-patch+json');
    await until('db-1 pg2', async () => (await finding('db-1', 'pg2')) !== undefined);
    const list = await c.json<{ items: Array<{ spec: { nodeName: string; type: string } }> }>('GET', `${NS}/findings`);
    expect(list.body.items.filter((f) => f.spec.nodeName === 'db-2' && f.spec.type === 'postgres.no-backup')).to.deep.equal([]);
  });

  it('resolves when a profile gains a postgres-backup state, reopens when it loses it', async () => {
    await setStates([{ preset: 'noop' }, { preset: 'postgres-backup' }]);
    await until('resolved', async () => (await finding('db-1', 'pg'))?.status?.phase === 'Resolved');
    expect((await finding('db-1', 'pg'))!.status!.history!.at(-1)!.message).to.equal('backed up by the postgres-backup state of profile db');
    await setStates([{ preset: 'noop' }]);
    await until('reopened', async () => (await finding('db-1', 'pg'))?.status?.phase === 'Open');
  });

  it('resolves when the container is gone from the list Docker gave', async () => {
    await ok('PATCH', `${NS}/nodes/db-1/status`, containers([{ name: 'pg2', image: 'postgres:15', volumes: ['/srv/pg2'] }]), 'application/merge-patch+json');
    await until('resolved', async () => (await finding('db-1', 'pg'))?.status?.phase === 'Resolved');
    expect((await finding('db-1', 'pg'))!.status!.history!.at(-1)!.message).to.equal('the container is gone');
    expect((await finding('db-1', 'pg2'))!.status!.phase).to.equal('Open');
  });
});
