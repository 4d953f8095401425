import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { Repository } from '@hyprbox/controller/api/repository';
import { createRegistry } from '@hyprbox/controller/api/resource';
import { NodeLifecycle } from '@hyprbox/controller/reconcilers/node-lifecycle';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import type { Store } from '@hyprbox/controller/store/types';

describe('node lifecycle (NodeLost)', () => {
  let dir: string;
  let store: Store;
  let nodes: Repository;
  let leases: Repository;
  let events: Repository;
  let now = new Date('2026-11-21T12:00:00Z');
  const registry = createRegistry();
  const obj = (kind: string, name: string, extra: object) => ({ apiVersion: 'hyprbox.io/v1alpha1', kind, metadata: { name, namespace: 'default', uid: `u-${name}`, generation: 1 }, ...extra });
  const ready = async (name: string) => {
    const n = await nodes.get('default', name);
    return ((n?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
  };
  const renew = async (name: string, at: Date) => {
    const l = await leases.get('default', name);
    const next = obj('Lease', name, { spec: { holderIdentity: `hyprnode@${name}`, renewTime: at.toISOString() } });
    if (l) await leases.update({ ...next, metadata: { ...next.metadata } } as never, Number(l.metadata.resourceVersion));
    else await leases.create(next as never);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hyprbox-lifecycle-'));
    store = createSqliteStore({ file: join(dir, 's.db') });
    nodes = new Repository(registry.byPlural('hyprbox.io', 'nodes')!, store);
    leases = new Repository(registry.byPlural('hyprbox.io', 'leases')!, store);
    events = new Repository(registry.byPlural('hyprbox.io', 'events')!, store);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks a node lost after the grace period and ready again when renewals resume', async () => {
    const lc = new NodeLifecycle({ leases, nodes, events, graceSeconds: 40, now: () => now, log: pino({ level: 'silent' }) });
    await nodes.create(obj('Node', 'web-1', { spec: {} }) as never);
    await nodes.create(obj('Node', 'no-lease', { spec: {} }) as never);
    await renew('web-1', now);

    now = new Date(now.getTime() + 10_000);
    await lc.tick();
    expect(await ready('web-1')).to.include({ status: 'True', reason: 'NodeReady' });

    now = new Date(now.getTime() + 35_000);
    await lc.tick();
    expect(await ready('web-1')).to.include({ status: 'False', reason: 'NodeLost' });
    const rv = (await nodes.get('default', 'web-1'))!.metadata.resourceVersion;
    await lc.tick();
    // Already lost: nothing is rewritten.
    expect((await nodes.get('default', 'web-1'))!.metadata.resourceVersion).to.equal(rv);

    await renew('web-1', now);
    await lc.tick();
    expect(await ready('web-1')).to.include({ status: 'True', reason: 'NodeReady' });
    // One Event per change of state: ready, lost (once, though checked twice), ready again.
    const evs = (await events.list({ namespace: 'default' })).items.map((e) => [e.reason, e.count]);
    expect(evs.sort()).to.deep.equal([['NodeLost', 1], ['NodeReady', 2]]);
    // A node that never had a lease is not declared lost: unknown is not down.
    expect(await ready('no-lease')).to.equal(undefined);
  });
});
