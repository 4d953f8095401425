import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { admitCreate } from '@hyprbox/controller/api/admission';
import type { Obj } from '@hyprbox/controller/api/admission';
import { Repository } from '@hyprbox/controller/api/repository';
import { createRegistry } from '@hyprbox/controller/api/resource';
import { CATALOG_DIGEST_ANNOTATION, CATALOG_LABEL, loadCatalog, syncCatalog } from '@hyprbox/controller/catalog/sync';
import { compileParams, defaultParams, paramCauses, ParamsSchemaError, paramsSchemaProblems, specDigest } from '@hyprbox/controller/catalog/params';
import { createSqliteStore } from '@hyprbox/controller/store/sqlite';
import type { Store } from '@hyprbox/controller/store/types';
import { repoPath } from '../lib/paths.js';

const FIXTURES = repoPath('test/fixtures/presets');
const BROKEN = repoPath('test/fixtures/presets-broken');
const silent = pino({ level: 'silent' });

describe('presets catalog', () => {
  let tmp: string;
  let store: Store;
  let presets: Repository;
  let now = new Date('2026-11-21T12:00:00Z');
  const registry = createRegistry();
  const resource = registry.byPlural('hyprbox.io', 'presets')!;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'hyprbox-catalog-'));
    store = createSqliteStore({ file: join(tmp, 's.db') });
    presets = new Repository(resource, store);
  });
  after(async () => {
    await store.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh copy of the fixture catalog, to edit. */
  const catalogCopy = (name: string, from = FIXTURES): string => {
    const dir = join(tmp, name);
    cpSync(from, dir, { recursive: true });
    return dir;
  };
  const sync = (dir: string) => syncCatalog({ dir, repo: presets, now: () => now, log: silent });
  const byName = async (): Promise<Map<string, Obj>> =>
    new Map((await presets.list({ namespace: undefined })).items.map((p) => [p.metadata.name!, p]));

  describe('loadCatalog', () => {
    it('reads the fixture catalog as it would be stored: defaults, catalog label, spec digest', async () => {
      const { presets: loaded, errors } = await loadCatalog(FIXTURES);
      expect(errors).to.deep.equal([]);
      expect(loaded.map((p) => p.metadata.name)).to.deep.equal(['danger-demo', 'file-mode', 'motd']);
      const motd = loaded.find((p) => p.metadata.name === 'motd')!;
      const spec = motd.spec as { risk: string; check: { timeoutSeconds: number }; apply: { timeoutSeconds: number } };
      expect(spec.risk).to.equal('SAFE');
      expect(spec.check.timeoutSeconds).to.equal(30);
      expect(spec.apply.timeoutSeconds).to.equal(1800); // the CRD default (30 minutes)
      expect(motd.metadata.labels).to.deep.equal({ [CATALOG_LABEL]: 'true' });
      expect(motd.metadata.annotations![CATALOG_DIGEST_ANNOTATION]).to.equal(specDigest(motd.spec)).and.match(/^sha256:[a-f0-9]{64}$/);
      expect(loaded.map((p) => (p.spec as { risk: string }).risk)).to.deep.equal(['DANGEROUS', 'CONFIRM', 'SAFE']);
    });

    it('never splices params into the fixture scripts: they read environment variables', async () => {
      for (const p of (await loadCatalog(FIXTURES)).presets) {
        const spec = p.spec as Record<string, { script?: string }>;
        for (const step of ['check', 'precheck', 'apply', 'verify', 'rollback']) {
          expect(spec[step]?.script ?? '', `${p.metadata.name} ${step}`).not.to.match(/\{\{|<%|%\(/);
        }
      }
      const motd = (await loadCatalog(FIXTURES)).presets.find((p) => p.metadata.name === 'motd')!.spec as Record<string, { script: string }>;
      for (const step of ['check', 'apply', 'verify']) expect(motd[step]!.script).to.contain('"$text"');
      expect(motd.apply!.script).to.contain('cp -p /etc/motd "$backup/motd.bak"');
    });

    it('reports every broken file with file:line:column and the field, and loads none of them', async () => {
      const { presets: loaded, errors } = await loadCatalog(BROKEN);
      expect(loaded).to.deep.equal([]);
      for (const e of errors) expect(e).to.match(/^\S+\.yaml:\d+:\d+: /);
      const expected: Array<[string, string]> = [
        ['bad-enum.yaml:8:3', 'spec.risk: Unsupported value: "RISKY"'],
        ['bad-name.yaml:4:3', 'metadata.name: Invalid value: "Broken_Name"'],
        ['bad-param-name.yaml:9:7', 'spec.params.properties.log-level: a parameter name must be an environment variable name'],
        ['bad-params.yaml:10:9', 'spec.params.properties.count.type: Invalid value: "integr"'],
        ['duplicate-key.yaml:9:3', 'Map keys must be unique'],
        ['duplicate-name.yaml:2:1', 'metadata.name: Duplicate value: "broken-duplicate-name"'],
        ['duplicate-name.yaml:10:1', 'metadata.name: Duplicate value: "broken-duplicate-name"'],
        ['empty-script.yaml:7:5', 'spec.check.script: Required value'],
        ['empty-script.yaml:9:5', 'spec.apply.script: Required value'],
        ['missing-apply.yaml:5:1', 'spec.apply: Required value'],
        ['secret-not-param.yaml:11:24', 'spec.secretParams[1]: Invalid value: "password"'],
        ['server-fields.yaml:5:3', 'metadata.uid: Forbidden'],
        ['server-fields.yaml:9:1', 'status: Forbidden'],
        ['syntax.yaml:8:3', 'Flow sequence'],
        ['unknown-field.yaml:8:5', 'spec.apply.timeout: Unknown field'],
        ['wrong-kind.yaml:2:1', 'kind: Unsupported value: "NodeProfile"'],
      ];
      for (const [where, what] of expected) {
        expect(errors.some((e) => e.startsWith(`${join(BROKEN, where)}: ${what}`)), `${where}: ${what}\n${errors.join('\n')}`).to.equal(true);
      }
      expect(errors).to.have.length(expected.length);
    });

    it('reads several documents per file, skipping only the bad one (or the whole file on a YAML error)', async () => {
      const dir = join(tmp, 'multi');
      cpSync(FIXTURES, dir, { recursive: true });
      const doc = (name: string, extra = '') => `apiVersion: hyprbox.io/v1alpha1\nkind: Preset\nmetadata:\n  name: ${name}\nspec:\n  apply:\n    script: echo ${name}\n${extra}`;
      writeFileSync(join(dir, 'two.yaml'), `${doc('multi-good')}---\n${doc('multi-bad', '  risk: NOPE\n')}---\n# nothing\n`);
      writeFileSync(join(dir, 'syntax.yaml'), `${doc('syntax-good')}---\n${doc('syntax-bad', '  risk: [\n')}`);
      writeFileSync(join(dir, 'ignored.yml'), 'not: [a catalog file');
      writeFileSync(join(dir, '.hidden.yaml'), 'not: [a catalog file');
      const { presets: loaded, errors } = await loadCatalog(dir);
      expect(loaded.map((p) => p.metadata.name)).to.deep.equal(['danger-demo', 'file-mode', 'motd', 'multi-good']);
      expect(errors).to.have.length(2);
      expect(errors[0]).to.match(/syntax\.yaml:\d+:\d+: /);
      expect(errors[1]).to.equal(`${join(dir, 'two.yaml')}:16:3: spec.risk: Unsupported value: "NOPE": supported values: "SAFE", "CONFIRM", "DANGEROUS"`);
    });

    it('reports a missing directory instead of throwing', async () => {
      const { presets: loaded, errors } = await loadCatalog(join(tmp, 'no-such-dir'));
      expect(loaded).to.deep.equal([]);
      expect(errors[0]).to.match(/no-such-dir: cannot read the catalog directory/);
    });
  });

  describe('syncCatalog', () => {
    it('creates, leaves unchanged, updates with generation+1, and never touches presets outside the catalog', async () => {
      // An admin's own preset, not in the catalog.
      const own = admitCreate(resource, { apiVersion: 'hyprbox.io/v1alpha1', kind: 'Preset', metadata: { name: 'admin-own' }, spec: { apply: { script: 'true' } } }, { namespace: undefined, fieldValidation: 'Strict', now });
      const ownStored = await presets.create(own.obj);

      const dir = catalogCopy('sync');
      const first = await sync(dir);
      expect(first).to.deep.equal({ created: ['danger-demo', 'file-mode', 'motd'], updated: [], unchanged: [], pinned: [], errors: [] });
      const created = await byName();
      const motd = created.get('motd')!;
      expect(motd.metadata.generation).to.equal(1);
      expect(motd.metadata.uid).to.be.a('string');
      expect(motd.metadata.creationTimestamp).to.equal('2026-11-21T12:00:00Z');
      expect(motd.metadata.labels).to.deep.equal({ [CATALOG_LABEL]: 'true' });
      expect(motd.metadata.annotations![CATALOG_DIGEST_ANNOTATION]).to.equal(specDigest(motd.spec));
      expect((motd.spec as { apply: { timeoutSeconds: number } }).apply.timeoutSeconds).to.equal(1800);

      // Re-sync: nothing is written.
      now = new Date('2026-11-21T13:00:00Z');
      const second = await sync(dir);
      expect(second).to.deep.equal({ created: [], updated: [], unchanged: ['danger-demo', 'file-mode', 'motd'], pinned: [], errors: [] });
      const again = await byName();
      for (const [name, p] of created) expect(again.get(name)!.metadata.resourceVersion, name).to.equal(p.metadata.resourceVersion);

      // Someone labels the stored preset and a controller writes its status: both survive an update.
      const withLabel = { ...motd, metadata: { ...motd.metadata, labels: { ...motd.metadata.labels, team: 'ops' } } };
      await presets.update(withLabel, Number(motd.metadata.resourceVersion));
      const labelled = (await presets.get(undefined, 'motd'))!;
      await presets.update({ ...labelled, status: { observedGeneration: 1 } }, Number(labelled.metadata.resourceVersion));

      // A changed file: that preset alone is updated, generation+1, identity kept.
      const file = join(dir, 'motd.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('version: 1.0.0', 'version: 1.0.1'));
      const third = await sync(dir);
      expect(third).to.deep.equal({ created: [], updated: ['motd'], unchanged: ['danger-demo', 'file-mode'], pinned: [], errors: [] });
      const updated = (await presets.get(undefined, 'motd'))!;
      expect(updated.metadata.generation).to.equal(2);
      expect(updated.metadata.uid).to.equal(motd.metadata.uid);
      expect(updated.metadata.creationTimestamp).to.equal(motd.metadata.creationTimestamp);
      expect(updated.metadata.labels).to.deep.equal({ [CATALOG_LABEL]: 'true', team: 'ops' });
      expect(updated.status).to.deep.equal({ observedGeneration: 1 });
      expect((updated.spec as { version: string }).version).to.equal('1.0.1');
      expect(updated.metadata.annotations![CATALOG_DIGEST_ANNOTATION]).to.equal(specDigest(updated.spec)).and.not.equal(motd.metadata.annotations![CATALOG_DIGEST_ANNOTATION]);

      // An edit through the API is put back by the next sync (the catalog is the source of its presets)...
      const edited = { ...updated, spec: { ...(updated.spec as object), risk: 'DANGEROUS' } };
      await presets.update(edited, Number(updated.metadata.resourceVersion));
      expect((await sync(dir)).updated).to.deep.equal(['motd']);
      expect(((await presets.get(undefined, 'motd'))!.spec as { risk: string }).risk).to.equal('SAFE');

      // ...unless an admin pinned it.
      const fm = (await presets.get(undefined, 'file-mode'))!;
      const pinned = { ...fm, metadata: { ...fm.metadata, labels: { [CATALOG_LABEL]: 'false' } }, spec: { ...(fm.spec as object), risk: 'DANGEROUS' } };
      const pinnedStored = await presets.update(pinned, Number(fm.metadata.resourceVersion));
      const fourth = await sync(dir);
      expect(fourth.pinned).to.deep.equal(['file-mode']);
      expect((await presets.get(undefined, 'file-mode'))!.metadata.resourceVersion).to.equal(pinnedStored.metadata.resourceVersion);

      // The admin's own preset was never touched.
      expect((await presets.get(undefined, 'admin-own'))!.metadata.resourceVersion).to.equal(ownStored.metadata.resourceVersion);
    });

    it('skips broken presets whole and reports them; the good ones are synced', async () => {
      const dir = catalogCopy('broken-mixed', BROKEN);
      // The catalog's motd as the previous test left it synced.
      cpSync(join(tmp, 'sync', 'motd.yaml'), join(dir, 'motd.yaml'));
      const before = await byName();
      const r = await sync(dir);
      expect(r.created).to.deep.equal([]);
      expect(r.updated).to.deep.equal([]);
      expect(r.unchanged).to.deep.equal(['motd']);
      expect(r.errors).to.have.length(16);
      for (const e of r.errors) expect(e).to.match(/^\S+\.yaml:\d+:\d+: /);
      const after = await byName();
      expect([...after.keys()].filter((n) => n.startsWith('broken'))).to.deep.equal([]);
      expect([...after.keys()].sort()).to.deep.equal([...before.keys()].sort());
    });

    it('stores what an API write would store (admission defaults and validation)', async () => {
      const dir = join(tmp, 'fresh');
      mkdirSync(dir);
      cpSync(join(FIXTURES, 'danger-demo.yaml'), join(dir, 'danger-demo.yaml'));
      const stored = (await presets.get(undefined, 'danger-demo'))!;
      const viaApi = admitCreate(resource, (await loadCatalog(dir)).presets[0], { namespace: undefined, fieldValidation: 'Strict', now });
      expect(stored.spec).to.deep.equal(viaApi.obj.spec);
    });
  });

  describe('params', () => {
    let catalog: Map<string, Obj>;
    before(async () => {
      catalog = new Map((await loadCatalog(FIXTURES)).presets.map((p) => [p.metadata.name!, p]));
    });
    const preset = (params: unknown, secretParams?: string[], name = 'inline'): Obj => ({
      apiVersion: 'hyprbox.io/v1alpha1',
      kind: 'Preset',
      metadata: { name },
      spec: { params, ...(secretParams ? { secretParams } : {}), apply: { script: 'true' } },
    });

    it('names a missing required param and an undeclared one at their exact paths', () => {
      expect(paramCauses(catalog.get('motd')!, { text: 'hi' }, 'spec.states[1].with')).to.deep.equal([]);
      expect(paramCauses(catalog.get('motd')!, undefined, 'spec.states[1].with')).to.deep.equal([
        { field: 'spec.states[1].with.text', reason: 'FieldValueRequired', message: 'Required value' },
      ]);
      const causes = paramCauses(catalog.get('motd')!, { txt: 'hi' }, 'spec.states[1].with');
      expect(causes).to.deep.include({ field: 'spec.states[1].with.text', reason: 'FieldValueRequired', message: 'Required value' });
      expect(causes).to.deep.include({
        field: 'spec.states[1].with.txt',
        reason: 'FieldValueUnknown',
        message: 'unknown field "txt": preset motd has no such parameter (its parameters: text)',
      });
    });

    it('gives Invalid, NotSupported, TypeInvalid and TooLong causes with the constraint', () => {
      const fm = catalog.get('file-mode')!;
      expect(paramCauses(fm, { path: '/etc/ssh/sshd_config', mode: '999' }, 'spec.states[0].with')).to.deep.equal([
        { field: 'spec.states[0].with.mode', reason: 'FieldValueInvalid', message: `Invalid value: "999": must match the regular expression '^[0-7]{3,4}$'` },
      ]);
      expect(paramCauses(fm, { path: 'etc/x', mode: 644 }, 'spec.states[0].with')).to.deep.equal([
        { field: 'spec.states[0].with.path', reason: 'FieldValueInvalid', message: `Invalid value: "etc/x": must match the regular expression '^/'` },
        { field: 'spec.states[0].with.mode', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": must be of type string' },
      ]);
      expect(paramCauses(catalog.get('danger-demo')!, { greeting: 'hi' }, 'spec.states[2].with')).to.deep.equal([
        { field: 'spec.states[2].with.greeting', reason: 'FieldValueNotSupported', message: 'Unsupported value: "hi": supported values: "hello", "bonjour"' },
      ]);
      expect(paramCauses(catalog.get('motd')!, { text: 'x'.repeat(4097) }, 'w')).to.deep.equal([
        { field: 'w.text', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 4096 characters' },
      ]);
      expect(paramCauses(catalog.get('motd')!, ['text'], 'w')).to.deep.equal([
        { field: 'w', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "array": must be of type object' },
      ]);
    });

    it('reports a failed anyOf once, not each branch', () => {
      const p = preset({ type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } });
      expect(paramCauses(p, { a: [] }, 'w')).to.deep.equal([{ field: 'w.a', reason: 'FieldValueInvalid', message: 'Invalid value: []: must match a schema in anyOf' }]);
    });

    it('follows lists, maps and local $refs to the exact field', () => {
      const p = preset({
        type: 'object',
        definitions: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
        properties: {
          listeners: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { $ref: '#/definitions/port' } } } },
          limits: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      });
      const causes = paramCauses(p, { listeners: [{ name: 'a', port: 80 }, { port: 70000 }], limits: { 'nofile.soft': 'many' } }, 'spec.states[3].with');
      expect(causes).to.deep.equal([
        { field: 'spec.states[3].with.listeners[1].name', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'spec.states[3].with.listeners[1].port', reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be less than or equal to 65535' },
        { field: 'spec.states[3].with.limits[nofile.soft]', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": must be of type integer' },
      ]);
    });

    it('treats a preset without params as taking none, and a broken schema as one cause', () => {
      const none = preset(undefined, undefined, 'no-params');
      expect(paramCauses(none, {}, 'spec.states[0].with')).to.deep.equal([]);
      expect(paramCauses(none, { x: 1 }, 'spec.states[0].with')).to.deep.equal([
        { field: 'spec.states[0].with.x', reason: 'FieldValueUnknown', message: 'unknown field "x": preset no-params has no such parameter (it takes no parameters)' },
      ]);
      const broken = preset({ type: 'object', properties: { a: { type: 'strng' } } }, undefined, 'broken');
      const causes = paramCauses(broken, { a: 'x' }, 'spec.states[0].with');
      expect(causes).to.have.length(1);
      expect(causes[0]).to.include({ field: 'spec.states[0].with', reason: 'FieldValueInvalid' });
      expect(causes[0]!.message).to.match(/preset broken has an invalid params schema/);
      expect(() => compileParams(broken)).to.throw(ParamsSchemaError);
    });

    it('never echoes the value of a secret param, and wants a reference for it', () => {
      const dd = catalog.get('danger-demo')!;
      expect(paramCauses(dd, { apiKey: 'env:DEMO_API_KEY' }, 'spec.states[0].with')).to.deep.equal([]);
      expect(paramCauses(dd, { apiKey: 'file:/etc/hyprbox/demo.key' }, 'spec.states[0].with')).to.deep.equal([]);
      const literal = paramCauses(dd, { apiKey: 'hunter2-very-secret' }, 'spec.states[0].with');
      expect(literal).to.have.length(1);
      expect(literal[0]).to.include({ field: 'spec.states[0].with.apiKey', reason: 'FieldValueInvalid' });
      expect(JSON.stringify(literal)).not.to.contain('hunter2');

      // Schema errors about the whole object or the secret itself show no secret either.
      const p = preset({
        type: 'object',
        maxProperties: 1,
        properties: { user: { type: 'string' }, dbPass: { type: 'string', minLength: 64, enum: ['x'] } },
      }, ['dbPass']);
      const causes = paramCauses(p, { user: 'bob', dbPass: 'hunter2-very-secret' }, 'w');
      expect(JSON.stringify(causes)).not.to.contain('hunter2');
      expect(causes.map((c) => c.field)).to.deep.equal(['w', 'w.dbPass']);
      expect(causes[0]!.message).to.contain('[REDACTED]').and.contain('bob');
      // A secret-looking name is redacted even when the preset forgot to list it.
      const q = preset({ type: 'object', properties: { password: { type: 'string', pattern: '^[a-z]+$' } } });
      expect(JSON.stringify(paramCauses(q, { password: 'S3cret!' }, 'w'))).not.to.contain('S3cret');
    });

    it('compiles once per distinct schema', () => {
      const a = preset({ type: 'object', properties: { n: { type: 'integer' } } });
      const b = preset({ properties: { n: { type: 'integer' } }, type: 'object' });
      expect(compileParams(a)).to.equal(compileParams(b));
      expect(compileParams(a)).not.to.equal(compileParams(preset({ type: 'object', properties: { n: { type: 'string' } } })));
    });

    it('rejects params schemas that would mislead: $id, reserved or non-environment names, non-object', () => {
      expect(paramsSchemaProblems(undefined)).to.deep.equal([]);
      expect(paramsSchemaProblems({ type: 'string' })[0]).to.include({ field: 'type' });
      expect(paramsSchemaProblems({ type: 'object', properties: { PATH: { type: 'string' } } })[0]).to.include({ field: 'properties.PATH' });
      expect(paramsSchemaProblems({ type: 'object', $id: 'https://example.com/x' })[0]).to.include({ field: '$id' });
      expect(paramsSchemaProblems({ type: 'object', requried: ['a'] })[0]!.message).to.match(/unknown keyword: "requried"/);
    });

    it('applies the schema defaults without changing the input', () => {
      const input = { path: '/etc/ssh/sshd_config' };
      expect(defaultParams(catalog.get('file-mode')!, input)).to.deep.equal({ path: '/etc/ssh/sshd_config', mode: '0644' });
      expect(input).to.deep.equal({ path: '/etc/ssh/sshd_config' });
      expect(defaultParams(catalog.get('file-mode')!, { path: '/x', mode: '0600' })).to.deep.equal({ path: '/x', mode: '0600' });
      expect(defaultParams(catalog.get('danger-demo')!, undefined)).to.deep.equal({ greeting: 'hello' });
      const nested = preset({
        type: 'object',
        properties: {
          opts: { type: 'object', default: {}, properties: { retries: { type: 'integer', default: 3 } } },
          hosts: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer', default: 22 } } } },
        },
      });
      expect(defaultParams(nested, { hosts: [{}, { port: 2222 }] })).to.deep.equal({ opts: { retries: 3 }, hosts: [{ port: 22 }, { port: 2222 }] });
    });
  });
});
