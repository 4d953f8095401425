// The real kubectl against a running controller, on both store backends.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { send, startTestController } from '../lib/controller.js';
import type { Backend, TestController } from '../lib/controller.js';
import { kubectl, kubectlStream } from '../lib/kubectl.js';
import { repoPath } from '../lib/paths.js';

for (const backend of ['sqlite', 'etcd'] as Backend[]) {
  describe(`kubectl against the controller (${backend})`, function () {
    this.timeout(120_000);
    let c: TestController;
    let work: string;
    const k = (args: string[], input?: string) => kubectl(c.kubeconfig, args, input === undefined ? {} : { input });

    before(async () => {
      c = await startTestController(backend);
      work = mkdtempSync(join(tmpdir(), 'hyprbox-kubectl-'));
      cpSync(repoPath('examples'), join(work, 'examples'), { recursive: true });
      const r = await k(['apply', '-f', join(work, 'examples')]);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('namespace/acme created');
      expect(r.stdout).to.contain('node.hyprbox.io/db-1 created');
      expect(r.stdout).to.contain('nodeprofile.hyprbox.io/db-servers created');
    });
    after(async () => {
      await c?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('waits for the CRDs to be established, as GitOps scripts do', async () => {
      const r = await k(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/nodes.hyprbox.io', 'crd/runs.hyprbox.io']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('customresourcedefinition.apiextensions.k8s.io/nodes.hyprbox.io condition met');
      const age = await k(['get', 'crd', 'nodes.hyprbox.io']);
      expect(age.stdout).to.not.contain('<unknown>');
    });

    it('accepts the CRD files with a client-side dry run', async () => {
      const r = await k(['apply', '--dry-run=client', '-f', repoPath('crds/definitions')]);
      expect(r.stderr).to.equal('');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('customresourcedefinition.apiextensions.k8s.io/nodes.hyprbox.io');
    });

    it('re-applying an unchanged directory changes nothing', async () => {
      const r = await k(['apply', '-f', join(work, 'examples')]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('node.hyprbox.io/db-1 unchanged');
      expect(r.stdout).to.contain('nodeprofile.hyprbox.io/db-servers unchanged');
    });

    it('gets a table with the printer columns, yaml, json, and by label', async () => {
      const table = await k(['get', 'nodes.hyprbox.io', '-n', 'acme']);
      expect(table.code).to.equal(0);
      const header = table.stdout.split('\n')[0]!;
      expect(header).to.match(/^NAME\s+READY\s+HEALTH\s+OS\s+KERNEL\s+AGENT\s+AGE$/);
      expect(table.stdout).to.match(/\ndb-1\s/);
      expect(table.stdout).to.match(/\nweb-1\s/);

      const y = await k(['get', 'nodeprofile', 'db-servers', '-n', 'acme', '-o', 'yaml']);
      const obj = parse(y.stdout) as { spec: { remediation: { mode: string; autoApproveUpTo: string } }; metadata: { generation: number; uid: string } };
      expect(obj.spec.remediation).to.deep.include({ mode: 'approve', autoApproveUpTo: 'SAFE' });
      expect(obj.metadata.generation).to.equal(1);
      expect(obj.metadata.uid).to.match(/^[0-9a-f-]{36}$/);

      const j = await k(['get', 'hn', '-n', 'acme', '-o', 'json']);
      const list = JSON.parse(j.stdout) as { items: Array<{ metadata: { name: string } }> };
      expect(list.items.map((i) => i.metadata.name)).to.deep.equal(['db-1', 'web-1']);

      // Field selectors reach the fields each CRD declares selectable, besides name and namespace.
      const byField = await k(['get', 'nodes.hyprbox.io', '-A', '--field-selector', 'spec.paused=false,metadata.name!=web-1', '-o', 'name']);
      expect(byField.stdout.trim(), byField.stderr).to.equal('node.hyprbox.io/db-1');
      expect((await k(['get', 'nodes.hyprbox.io', '-A', '--field-selector', 'spec.paused=true', '-o', 'name'])).stdout.trim()).to.equal('');
      const notSelectable = await k(['get', 'nodes.hyprbox.io', '-A', '--field-selector', 'spec.agentConfig=x']);
      expect(notSelectable.stderr).to.contain('field label not supported: spec.agentConfig');
      const byLabel = await k(['get', 'nodes.hyprbox.io', '-n', 'acme', '-l', 'role=db', '-o', 'name']);
      expect(byLabel.stdout.trim()).to.equal('node.hyprbox.io/db-1');

      const all = await k(['get', 'nodeprofiles', '-A']);
      expect(all.stdout.split('\n')[0]).to.match(/^NAMESPACE\s+NAME\s+/);
      expect(all.stdout).to.match(/\nacme\s+db-servers\s/);
    });

    it('diff exits 0 without changes and 1 with one, writing nothing', async () => {
      const same = await k(['diff', '-f', join(work, 'examples')]);
      expect(same.code, same.stderr).to.equal(0);
      const file = join(work, 'examples', '10-nodes.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('env: prod }\nspec:\n  paused: false', 'env: staging }\nspec:\n  paused: false'));
      const changed = await k(['diff', '-f', join(work, 'examples')]);
      expect(changed.code, changed.stderr).to.equal(1);
      expect(changed.stdout).to.match(/-\s+env: prod/);
      expect(changed.stdout).to.match(/\+\s+env: staging/);
      const still = await k(['get', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '-o', 'jsonpath={.metadata.labels.env}']);
      expect(still.stdout).to.equal('prod');
    });

    it('patches labels without bumping generation, and spec with it', async () => {
      const label = await k(['label', 'nodes.hyprbox.io', 'web-1', '-n', 'acme', 'tier=front']);
      expect(label.code, label.stderr).to.equal(0);
      const spec = await k(['patch', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '--type', 'merge', '-p', '{"spec":{"paused":true}}']);
      expect(spec.code, spec.stderr).to.equal(0);
      const web = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'web-1', '-n', 'acme', '-o', 'json'])).stdout) as { metadata: { generation: number; labels: Record<string, string> } };
      expect(web.metadata.labels.tier).to.equal('front');
      expect(web.metadata.generation).to.equal(1);
      const db = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '-o', 'json'])).stdout) as { metadata: { generation: number }; spec: { paused: boolean } };
      expect(db.spec.paused).to.equal(true);
      expect(db.metadata.generation).to.equal(2);
    });

    it('explains fields from the CRD descriptions', async () => {
      const r = await k(['explain', 'nodeprofiles.spec.remediation', '--api-version=hyprbox.io/v1alpha1']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('KIND:       NodeProfile');
      expect(r.stdout).to.match(/mode\s+<string>/);
      expect(r.stdout).to.contain('autoApproveUpTo');
    });

    it('watch (-w) sees a change made by another client', async () => {
      const w = kubectlStream(c.kubeconfig, ['get', 'nodes.hyprbox.io', '-n', 'acme', '-w', '-o', 'name']);
      try {
        await w.waitFor(/node\.hyprbox\.io\/web-1/);
        const before = w.stdout.length;
        const res = await c.api('/apis/hyprbox.io/v1alpha1/namespaces/acme/nodes', {
          method: 'POST',
          json: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'cache-1' }, spec: {} },
        });
        expect(res.status).to.equal(201);
        await w.waitFor(/node\.hyprbox\.io\/cache-1/);
        expect(w.stdout.slice(before)).to.contain('cache-1');
      } finally {
        w.stop();
      }
    });

    it('a stale update gets 409 Conflict', async () => {
      const got = await k(['get', 'nodes.hyprbox.io', 'web-1', '-n', 'acme', '-o', 'json']);
      const stale = JSON.parse(got.stdout) as { metadata: { labels: Record<string, string> } };
      await k(['label', 'nodes.hyprbox.io', 'web-1', '-n', 'acme', 'bump=1']);
      stale.metadata.labels.stale = 'yes';
      const r = await k(['replace', '-f', '-'], JSON.stringify(stale));
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('Error from server (Conflict)');
      expect(r.stderr).to.contain('the object has been modified');
      const now = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'web-1', '-n', 'acme', '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> } };
      expect(now.metadata.labels.stale).to.equal(undefined);
    });

    it('rejects an unknown field, naming it, and stores nothing', async () => {
      const bad = 'apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: { name: typo-1, namespace: acme }\nspec: { pasued: true }\n';
      const r = await k(['apply', '-f', '-'], bad);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('spec.pasued');
      const get = await k(['get', 'nodes.hyprbox.io', 'typo-1', '-n', 'acme']);
      expect(get.stderr).to.contain('NotFound');
    });

    it('deletes, honouring finalizers', async () => {
      const withFinalizer = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'fin-1', namespace: 'acme', finalizers: ['hyprbox.io/test'] }, spec: {} };
      expect((await k(['create', '-f', '-'], JSON.stringify(withFinalizer))).code).to.equal(0);
      const del = await k(['delete', 'nodes.hyprbox.io', 'fin-1', '-n', 'acme', '--wait=false']);
      expect(del.code, del.stderr).to.equal(0);
      const held = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'fin-1', '-n', 'acme', '-o', 'json'])).stdout) as { metadata: { deletionTimestamp?: string } };
      expect(held.metadata.deletionTimestamp).to.be.a('string');
      const release = await k(['patch', 'nodes.hyprbox.io', 'fin-1', '-n', 'acme', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
      expect(release.code, release.stderr).to.equal(0);
      expect((await k(['get', 'nodes.hyprbox.io', 'fin-1', '-n', 'acme'])).stderr).to.contain('NotFound');

      const plain = await k(['delete', 'nodes.hyprbox.io', 'cache-1', '-n', 'acme']);
      expect(plain.stdout).to.contain('node.hyprbox.io "cache-1" deleted');
      expect((await k(['get', 'nodes.hyprbox.io', 'cache-1', '-n', 'acme'])).stderr).to.contain('NotFound');
    });

    it('delete --dry-run=server deletes nothing, one object or all', async () => {
      const before = (await k(['get', 'nodes.hyprbox.io', '-n', 'acme', '-o', 'name'])).stdout;
      expect(before).to.contain('node.hyprbox.io/db-1');
      const one = await k(['delete', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '--dry-run=server']);
      expect(one.code, one.stderr).to.equal(0);
      expect(one.stdout).to.contain('"db-1" deleted (server dry run)');
      const all = await k(['delete', 'nodes.hyprbox.io', '--all', '-n', 'acme', '--dry-run=server']);
      expect(all.code, all.stderr).to.equal(0);
      expect((await k(['get', 'nodes.hyprbox.io', '-n', 'acme', '-o', 'name'])).stdout).to.equal(before);
    });

    it('server-side apply: owns fields, removes what the config drops, reports conflicts', async () => {
      const manifest = (labels: string) => `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata:\n  name: ssa-1\n  namespace: acme\n  labels: {${labels}}\nspec:\n  paused: true\n`;
      const first = await k(['apply', '--server-side', '-f', '-'], manifest('role: db, env: prod'));
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).to.contain('node.hyprbox.io/ssa-1 serverside-applied');
      const get = async () => JSON.parse((await k(['get', 'nodes.hyprbox.io', 'ssa-1', '-n', 'acme', '-o', 'json', '--show-managed-fields'])).stdout) as { metadata: { resourceVersion: string; labels: Record<string, string>; managedFields: Array<{ manager: string; operation: string }> } };
      const a = await get();
      expect(a.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).to.deep.equal(['kubectl/Apply']);
      // The same configuration again writes nothing.
      await k(['apply', '--server-side', '-f', '-'], manifest('role: db, env: prod'));
      expect((await get()).metadata.resourceVersion).to.equal(a.metadata.resourceVersion);
      // A label dropped from the configuration is removed.
      await k(['apply', '--server-side', '-f', '-'], manifest('role: db'));
      expect((await get()).metadata.labels).to.deep.equal({ role: 'db' });
      // Someone else changes an applied field: the next apply that disagrees conflicts, unless forced.
      expect((await k(['label', '--overwrite', 'nodes.hyprbox.io', 'ssa-1', '-n', 'acme', 'role=web'])).code).to.equal(0);
      const clash = await k(['apply', '--server-side', '-f', '-'], manifest('role: db'));
      expect(clash.code).to.equal(1);
      expect(clash.stderr).to.contain('conflict');
      expect(clash.stderr).to.contain('.metadata.labels.role');
      expect((await get()).metadata.labels.role).to.equal('web');
      const forced = await k(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest('role: db'));
      expect(forced.code, forced.stderr).to.equal(0);
      expect((await get()).metadata.labels.role).to.equal('db');
    });

    it('describe shows an object\'s events, and kubectl events lists them (HyprBox Events read as core Events)', async () => {
      const uid = (await k(['get', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '-o', 'jsonpath={.metadata.uid}'])).stdout;
      const event = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Event', metadata: { name: 'db-1.tested', namespace: 'acme' }, involvedObject: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', name: 'db-1', namespace: 'acme', uid }, reason: 'Tested', message: 'seen by the kubectl test', type: 'Warning', source: { component: 'kubectl-test' } };
      expect((await k(['create', '-f', '-'], JSON.stringify(event))).code).to.equal(0);
      const described = await k(['describe', 'nodes.hyprbox.io', 'db-1', '-n', 'acme']);
      expect(described.code, described.stderr).to.equal(0);
      expect(described.stdout).to.match(/Events:\n.*\n.*\n\s+Warning\s+Tested\s+\S+\s+kubectl-test\s+seen by the kubectl test/);
      const listed = await k(['events', '-n', 'acme', '--for', 'node.hyprbox.io/db-1']);
      expect(listed.code, listed.stderr).to.equal(0);
      expect(listed.stdout).to.match(/Warning\s+Tested\s+Node\/db-1\s+seen by the kubectl test/);
      // Another object's events are not shown.
      expect((await k(['events', '-n', 'acme', '--for', 'node.hyprbox.io/web-1'])).stdout).to.not.contain('Tested');
    });

    it('kubectl events -w streams an object\'s events as core Events, and only that object\'s', async () => {
      const w = kubectlStream(c.kubeconfig, ['events', '-n', 'acme', '--for', 'node.hyprbox.io/web-1', '-w']);
      const post = async (name: string, node: string, reason: string) => {
        const e = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Event', metadata: { name, namespace: 'acme' }, involvedObject: { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', name: node, namespace: 'acme' }, reason, message: `${reason} while watched`, type: 'Normal', source: { component: 'kubectl-test' } };
        expect((await c.api('/apis/hyprbox.io/v1alpha1/namespaces/acme/events', { method: 'POST', json: e })).status).to.equal(201);
      };
      try {
        // kubectl watches without a resourceVersion: what exists arrives first, so this shows whenever it started.
        await post('web-1.watched', 'web-1', 'Watched');
        await w.waitFor(/Normal\s+Watched\s+Node\/web-1\s+Watched while watched/);
        // The watch is open now: these two can only arrive as live events, in order.
        await post('db-1.other', 'db-1', 'OtherNode');
        await post('web-1.live', 'web-1', 'Live');
        await w.waitFor(/Normal\s+Live\s+Node\/web-1\s+Live while watched/);
        expect(w.stdout).to.not.contain('OtherNode');
        expect(w.stderr).to.equal('');
      } finally {
        w.stop();
      }
    });

    it('create namespace (sent as protobuf), auth can-i and auth whoami', async () => {
      const ns = await k(['create', 'namespace', 'proto-1']);
      expect(ns.code, ns.stderr).to.equal(0);
      const got = JSON.parse((await k(['get', 'namespace', 'proto-1', '-o', 'json'])).stdout) as { metadata: { creationTimestamp: string }; status: { phase: string } };
      expect(got.status.phase).to.equal('Active');
      expect(got.metadata.creationTimestamp).to.match(/^\d{4}-/);
      expect((await k(['create', 'namespace', 'proto-1'])).stderr).to.contain('AlreadyExists');
      const bad = await k(['create', 'namespace', 'Not_DNS']);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('metadata.name');
      expect((await k(['get', 'namespace', 'Not_DNS'])).code).to.equal(1);

      const yes = await k(['auth', 'can-i', 'create', 'nodes.hyprbox.io', '-n', 'acme']);
      expect([yes.code, yes.stdout.trim()]).to.deep.equal([0, 'yes']);
      const pods = await k(['auth', 'can-i', 'get', 'pods']);
      expect([pods.code, pods.stdout.trim()]).to.deep.equal([1, 'no - HyprBox serves no resource "pods"']);
      const me = JSON.parse((await k(['auth', 'whoami', '-o', 'json'])).stdout) as { status: { userInfo: { username: string } } };
      expect(me.status.userInfo.username).to.equal('admin');

      // A viewer reads but does not write, and kubectl says so.
      const objects = [
        { apiVersion: 'hyprbox.io/v1alpha1', kind: 'User', metadata: { name: 'kviewer' }, spec: {} },
        { apiVersion: 'hyprbox.io/v1alpha1', kind: 'RoleBinding', metadata: { name: 'kviewer' }, spec: { user: 'kviewer', role: 'viewer' } },
      ];
      for (const o of objects) expect((await k(['create', '-f', '-'], JSON.stringify(o))).code).to.equal(0);
      const minted = await k(['create', '-f', '-', '-o', 'json'], JSON.stringify({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Token', metadata: {}, spec: { user: 'kviewer' } }));
      const token = (JSON.parse(minted.stdout) as { status: { token: string } }).status.token;
      const viewerCan = (verb: string) => k(['--token', token, 'auth', 'can-i', verb, 'nodes.hyprbox.io', '-n', 'acme']);
      expect((await viewerCan('list')).stdout.trim()).to.equal('yes');
      const no = await viewerCan('delete');
      expect(no.code).to.equal(1);
      expect(no.stdout).to.match(/^no - role viewer cannot delete nodes/);
      const list = await k(['--token', token, 'auth', 'can-i', '--list', '-n', 'acme']);
      expect(list.stdout).to.match(/\nnodes\.hyprbox\.io\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    });

    it('server-side apply of an empty map (spec: {}, labels: {}) keeps what other managers set', async () => {
      const file = (labels: string) => `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: ssa-empty, namespace: acme, labels: ${labels}, annotations: {}}\nspec: {}\n`;
      expect((await k(['apply', '--server-side', '-f', '-'], file('{}'))).code).to.equal(0);
      expect((await k(['patch', 'nodes.hyprbox.io', 'ssa-empty', '-n', 'acme', '--type', 'merge', '-p', '{"spec":{"paused":true}}'])).code).to.equal(0);
      expect((await k(['label', 'nodes.hyprbox.io', 'ssa-empty', '-n', 'acme', 'owner=ops'])).code).to.equal(0);
      expect((await k(['annotate', 'nodes.hyprbox.io', 'ssa-empty', '-n', 'acme', 'note=keep'])).code).to.equal(0);
      // The same configuration again: no conflict, and the cordon, label and annotation stay.
      const again = await k(['apply', '--server-side', '-f', '-'], file('{}'));
      expect(again.code, again.stderr).to.equal(0);
      const get = async () => JSON.parse((await k(['get', 'nodes.hyprbox.io', 'ssa-empty', '-n', 'acme', '-o', 'json'])).stdout) as { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { paused: boolean } };
      let now = await get();
      expect([now.spec.paused, now.metadata.labels?.owner, now.metadata.annotations?.note]).to.deep.equal([true, 'ops', 'keep']);
      // A second manager applying spec: {} does not conflict either; the first one dropping it removes nothing.
      expect((await k(['apply', '--server-side', '--field-manager', 'other', '-f', '-'], file('{}'))).code).to.equal(0);
      expect((await k(['apply', '--server-side', '-f', '-'], 'apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: ssa-empty, namespace: acme}\n')).code).to.equal(0);
      now = await get();
      expect([now.spec.paused, now.metadata.labels?.owner]).to.deep.equal([true, 'ops']);
    });

    it('moves client-side apply to server-side apply: kubectl rewrites managedFields, and then prunes as SSA', async () => {
      const file = (labels: string) => `apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: csa-1, namespace: acme, labels: {${labels}}}\nspec: {paused: true}\n`;
      expect((await k(['apply', '-f', '-'], file('a: "1", b: "2"'))).code).to.equal(0);
      const moved = await k(['apply', '--server-side', '-f', '-'], file('a: "1", b: "2"'));
      expect(moved.code, moved.stderr).to.equal(0);
      const managers = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'csa-1', '-n', 'acme', '-o', 'json', '--show-managed-fields'])).stdout).metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`);
      expect(managers).to.include('kubectl/Apply');
      expect(managers).to.not.include('kubectl-client-side-apply/Update');
      // A label dropped from the file is now removed by server-side apply.
      expect((await k(['apply', '--server-side', '-f', '-'], file('a: "1"'))).code).to.equal(0);
      const labels = JSON.parse((await k(['get', 'nodes.hyprbox.io', 'csa-1', '-n', 'acme', '-o', 'json'])).stdout).metadata.labels as Record<string, string>;
      expect(labels).to.deep.equal({ a: '1' });
    });

    it('refuses impersonation (--as) instead of serving the request as the caller', async () => {
      const as = await k(['--as', 'bob', 'create', '-f', '-'], JSON.stringify({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'User', metadata: { name: 'as-bob' }, spec: {} }));
      expect(as.code).to.equal(1);
      expect(as.stderr).to.contain('impersonation');
      expect((await k(['get', 'users.hyprbox.io', 'as-bob'])).stderr).to.contain('NotFound');
      expect((await k(['--as', 'bob', 'auth', 'can-i', 'delete', 'users.hyprbox.io'])).stdout.trim()).to.not.equal('yes');
      expect((await k(['--as-group', 'admins', 'auth', 'whoami'])).code).to.equal(1);
    });

    it('namespaces: labelled, edited and applied client-side (strategic merge patch), named as DNS labels', async () => {
      expect((await k(['create', 'namespace', 'smp-1'])).code).to.equal(0);
      const label = await k(['label', 'namespace', 'smp-1', 'team=ops']);
      expect(label.code, label.stderr).to.equal(0);
      const manifest = (team: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: smp-2\n  labels: {team: ${team}}\n`;
      expect((await k(['apply', '-f', '-'], manifest('a'))).code).to.equal(0);
      const changed = await k(['apply', '-f', '-'], manifest('b'));
      expect(changed.code, changed.stderr).to.equal(0);
      const got = JSON.parse((await k(['get', 'namespace', 'smp-2', '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> } };
      expect(got.metadata.labels.team).to.equal('b');
      expect(JSON.parse((await k(['get', 'namespace', 'smp-1', '-o', 'json'])).stdout).metadata.labels.team).to.equal('ops');
      // A dotted name is a DNS subdomain, not a label: refused at create, naming the field.
      const dotted = await k(['create', 'namespace', 'a.b']);
      expect(dotted.code).to.equal(1);
      expect(dotted.stderr).to.contain('metadata.name');
    });

    it('errors read as in Kubernetes: the kind in "is invalid", 422 for a bad name in a file, raw bodies without a content type', async () => {
      const bad = await k(['label', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', 'bad key!=1']);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('The Node "db-1" is invalid');
      const badName = await k(['apply', '-f', '-'], 'apiVersion: hyprbox.io/v1alpha1\nkind: Node\nmetadata: {name: Bad_Name, namespace: acme}\nspec: {}\n');
      expect(badName.code).to.equal(1);
      expect(badName.stderr).to.contain('metadata.name');
      const nullMeta = await k(['patch', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '--type', 'merge', '-p', '{"metadata":null}']);
      expect(nullMeta.code).to.equal(1);
      expect(JSON.parse((await k(['get', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '-o', 'json'])).stdout).metadata.labels.role).to.equal('db');
      const move = await k(['patch', 'nodes.hyprbox.io', 'db-1', '-n', 'acme', '--type', 'json', '-p', '[{"op":"move","from":"/spec","path":"/spec/x"}]']);
      expect(move.stderr).to.contain('does not resolve');
      expect(move.stderr).to.not.contain('Cannot set properties');
      const raw = await k(['create', '--raw', '/apis/hyprbox.io/v1alpha1/namespaces/acme/nodes', '-f', '-'], JSON.stringify({ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'raw-1' }, spec: {} }));
      expect(raw.code, raw.stderr).to.equal(0);
      expect(JSON.parse(raw.stdout).metadata.name).to.equal('raw-1');
    });

    it('re-applies what `get -o yaml` wrote (kind: List, validated against OpenAPI v2 in protobuf), with every example kind', async () => {
      // One object of each kind in examples/, with what kubectl now checks client-side: maps, free-form
      // (x-kubernetes-preserve-unknown-fields) values holding nulls, a nullable value, status as read back.
      const list = {
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: '' },
        items: [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'v2-ns', labels: { team: 'v2' } } },
          {
            apiVersion: 'hyprbox.io/v1alpha1',
            kind: 'Node',
            metadata: { name: 'v2-node', namespace: 'acme', labels: { role: 'v2' }, annotations: { note: 'yes' } },
            spec: { paused: false },
            status: { probes: { 'sshd.passwordAuthentication': { state: 'unknown', value: null } } },
          },
          {
            apiVersion: 'hyprbox.io/v1alpha1',
            kind: 'NodeProfile',
            metadata: { name: 'v2-profile', namespace: 'acme' },
            spec: {
              nodeSelector: { matchLabels: { role: 'v2' } },
              states: [{ preset: 'fail2ban', with: { maxRetry: 5, banTime: null } }],
              remediation: { mode: 'approve' },
            },
          },
        ],
      };
      const created = await k(['apply', '-f', '-'], JSON.stringify(list));
      expect(created.stderr).to.equal('');
      expect(created.stdout).to.contain('namespace/v2-ns created');
      expect(created.stdout).to.contain('node.hyprbox.io/v2-node created');
      expect(created.stdout).to.contain('nodeprofile.hyprbox.io/v2-profile created');
      // `kubectl get nodes.hyprbox.io -n acme -o yaml`, kept to this test's node so other tests' objects stay theirs.
      const saved = await k(['get', 'nodes.hyprbox.io', '-n', 'acme', '-l', 'role=v2', '-o', 'yaml']);
      expect(saved.code, saved.stderr).to.equal(0);
      expect(parse(saved.stdout)).to.deep.include({ kind: 'List' });
      writeFileSync(join(work, 'v2-nodes.yaml'), saved.stdout);
      const again = await k(['apply', '-f', join(work, 'v2-nodes.yaml')]);
      expect(again.stderr).to.equal('');
      expect(again.code).to.equal(0);
      expect(again.stdout).to.match(/^node\.hyprbox\.io\/v2-node (unchanged|configured)$/m);

      const read = await k(['get', 'namespace/v2-ns', 'nodes.hyprbox.io/v2-node', 'nodeprofiles.hyprbox.io/v2-profile', '-n', 'acme', '-o', 'yaml']);
      expect(read.code, read.stderr).to.equal(0);
      writeFileSync(join(work, 'v2-all.yaml'), read.stdout);
      const reapplied = await k(['apply', '-f', join(work, 'v2-all.yaml')]);
      expect(reapplied.stderr).to.equal('');
      expect(reapplied.stdout).to.match(/namespace\/v2-ns (unchanged|configured)/);
      expect(reapplied.stdout).to.match(/node\.hyprbox\.io\/v2-node (unchanged|configured)/);
      expect(reapplied.stdout).to.match(/nodeprofile\.hyprbox\.io\/v2-profile (unchanged|configured)/);
      // Client-side validation of List items still finds a real mistake.
      const typo = { ...list, items: [{ apiVersion: 'hyprbox.io/v1alpha1', kind: 'Node', metadata: { name: 'v2-typo', namespace: 'acme' }, spec: { pasued: true } }] };
      const bad = await k(['apply', '-f', '-'], JSON.stringify(typo));
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('unknown field "pasued"');
    });

    it('an unknown kind gets kubectl\'s own "no matches for kind" (OpenAPI v2 served), and edit takes several objects', async () => {
      const r = await k(['apply', '-f', '-'], 'apiVersion: hyprbox.io/v1alpha1\nkind: Widget\nmetadata: {name: v2-widget, namespace: acme}\n');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('no matches for kind "Widget"');
      expect(r.stderr).to.not.contain('failed to download openapi');
      const edit = await kubectl(c.kubeconfig, ['edit', 'nodes.hyprbox.io', 'db-1', 'web-1', '-n', 'acme'], { env: { EDITOR: 'true' } });
      expect(edit.code, edit.stderr).to.equal(0);
      expect(edit.stderr).to.not.contain('openapi');
    });

    it('explain --output=plaintext-openapiv2 reads the kind from OpenAPI v2', async () => {
      const r = await k(['explain', 'nodes.hyprbox.io', '--output=plaintext-openapiv2']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^KIND:\s+Node$/m);
      expect(r.stdout).to.match(/^VERSION:\s+hyprbox\.io\/v1alpha1$/m);
      expect(r.stdout).to.match(/^\s+spec\s+<Object>/m);
    });

    it('refuses requests without the token', async () => {
      const res = await send(`${c.url}/apis/hyprbox.io/v1alpha1/nodes`, 'GET', new Headers(), undefined, c.controller.caCert);
      expect(res.status).to.equal(401);
      expect(((await res.json()) as { reason: string }).reason).to.equal('Unauthorized');
      const bad = await send(`${c.url}/apis/hyprbox.io/v1alpha1/nodes`, 'GET', new Headers({ Authorization: 'Bearer hbx_wrong' }), undefined, c.controller.caCert);
      expect(bad.status).to.equal(401);
      const wrongCa = await kubectl(c.kubeconfig, ['--certificate-authority', '/etc/ssl/certs/ca-certificates.crt', 'get', 'nodes.hyprbox.io']);
      expect(wrongCa.code).to.equal(1);
      expect(wrongCa.stderr).to.match(/certificate/);
    });
  });
}
