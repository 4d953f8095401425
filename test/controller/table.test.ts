import { expect } from 'chai';
import {
  CRD_PRINTER_COLUMNS,
  JSONPathError,
  bookmarkTable,
  evaluateJSONPath,
  humanDuration,
  parseAccept,
  parseIncludeObject,
  tableColumns,
  tableForWatchEvent,
  toTable,
} from '@hyprbox/controller/api/table';
import { NODE, PROFILE } from './api-fixtures.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

const n1 = {
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name: 'n1', creationTimestamp: '2026-11-21T11:55:00Z', resourceVersion: '7', labels: { rack: 'r1' } },
  spec: { unschedulable: false },
  status: {
    conditions: [
      { type: 'DiskPressure', status: 'False' },
      { type: 'Ready', status: 'True' },
    ],
    os: { name: 'Debian' },
    cpu: { cores: 8 },
    load: 0.25,
    lastSeen: '2026-11-21T11:59:30Z',
    addresses: [
      { type: 'IP', address: '10.0.0.1' },
      { type: 'DNS', address: 'n1.lan' },
    ],
  },
};
const n2 = {
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name: 'n2', creationTimestamp: '2026-11-18T08:00:00Z', resourceVersion: '9' },
  status: { conditions: [{ type: 'Ready' }], cpu: { cores: 'many' }, load: 2, lastSeen: 'yesterday' },
};
const n3 = {
  apiVersion: 'hyprbox.io/v1alpha1',
  kind: 'Node',
  metadata: { name: 'n3' },
  spec: { unschedulable: true },
  status: {
    conditions: [{ type: 'Ready', status: 'Unknown' }, { type: 'Ready', status: 'False' }],
    os: { name: { version: 12, id: '<debian>' } },
    cpu: { cores: 3.9 },
    load: '1.5',
    lastSeen: '2026-11-21T12:59:30.123+01:00',
    addresses: [{ address: 1234567.5 }, { address: 'later' }],
  },
};

describe('controller/api/table', () => {
  describe('columns', () => {
    it('are Name, the printer columns, then Age', () => {
      expect(tableColumns(NODE)).to.deep.equal([
        {
          name: 'Name',
          type: 'string',
          format: 'name',
          description:
            'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
          priority: 0,
        },
        { name: 'Ready', type: 'string', format: '', description: 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status', priority: 0 },
        { name: 'OS', type: 'string', format: '', description: 'Operating system', priority: 1 },
        { name: 'Cores', type: 'integer', format: '', description: 'Custom resource definition column (in JSONPath format): .status.cpu.cores', priority: 0 },
        { name: 'Load', type: 'number', format: '', description: 'Custom resource definition column (in JSONPath format): .status.load', priority: 0 },
        { name: 'Cordoned', type: 'boolean', format: '', description: 'Custom resource definition column (in JSONPath format): .spec.unschedulable', priority: 0 },
        { name: 'Last Seen', type: 'date', format: '', description: 'Custom resource definition column (in JSONPath format): .status.lastSeen', priority: 0 },
        { name: 'Addresses', type: 'string', format: '', description: 'Custom resource definition column (in JSONPath format): .status.addresses[*].address', priority: 1 },
        {
          name: 'Age',
          type: 'date',
          format: '',
          description:
            'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
          priority: 0,
        },
      ]);
    });

    it('have no Age when a column already shows creationTimestamp', () => {
      expect(tableColumns(PROFILE).map((c) => c.name)).to.deep.equal(['Name', 'Node', 'Created']);
      expect(tableColumns({ printerColumns: [{ name: 'Born', type: 'date', jsonPath: "{$.metadata['creationTimestamp']}" }] }).map((c) => c.name)).to.deep.equal(['Name', 'Born']);
      expect(tableColumns({ printerColumns: CRD_PRINTER_COLUMNS }).map((c) => c.name)).to.deep.equal(['Name', 'Created At']);
      expect(tableColumns({ printerColumns: [] }).map((c) => c.name)).to.deep.equal(['Name', 'Age']);
    });
  });

  describe('toTable', () => {
    it('evaluates the printer columns into cells (filters, first match, typed, ages)', () => {
      const t = toTable(NODE, [n1, n2, n3], { now: NOW, includeObject: 'None' });
      expect(t.rows).to.deep.equal([
        { cells: ['n1', 'True', 'Debian', 8, 0.25, false, '30s', '10.0.0.1', '5m'] },
        { cells: ['n2', null, null, null, 2, null, '<invalid>', null, '3d4h'] },
        { cells: ['n3', 'Unknown', '{"id":"\\u003cdebian\\u003e","version":12}', 3, null, true, '29s', '1.2345675e+06', null] },
      ]);
    });

    it('is a meta.k8s.io/v1 Table with the list metadata', () => {
      const t = toTable(PROFILE, [], { listMeta: { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 } });
      expect(t).to.deep.equal({
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion: '42', continue: 'abc', remainingItemCount: 3 },
        columnDefinitions: tableColumns(PROFILE),
        rows: [],
      });
      expect(toTable(PROFILE, [], { listMeta: { resourceVersion: '1', continue: '' } }).metadata).to.deep.equal({ resourceVersion: '1' });
    });

    it('includes PartialObjectMetadata by default, the object or nothing on request', () => {
      const p = { apiVersion: 'hyprbox.io/v1alpha1', kind: 'NodeProfile', metadata: { name: 'web', namespace: 'acme', creationTimestamp: '2026-11-21T11:00:00Z' }, spec: { nodeName: 'n1' } };
      expect(toTable(PROFILE, [p], { now: NOW }).rows).to.deep.equal([
        { cells: ['web', 'n1', '60m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata } },
      ]);
      expect(toTable(PROFILE, [p], { now: NOW, includeObject: 'Object' }).rows[0]?.object).to.equal(p);
      expect(toTable(PROFILE, [p], { now: NOW, includeObject: 'None' }).rows[0]).to.not.have.property('object');
      const beta = toTable(PROFILE, [p], { now: NOW, apiVersion: 'meta.k8s.io/v1beta1' });
      expect(beta.apiVersion).to.equal('meta.k8s.io/v1beta1');
      expect(beta.rows[0]?.object).to.deep.include({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1' });
    });

    it("sends RFC 3339 timestamps with dates: 'timestamp'", () => {
      const t = toTable(NODE, [n1, n3], { now: NOW, includeObject: 'None', dates: 'timestamp' });
      expect(t.rows.map((r) => [r.cells[6], r.cells[8]])).to.deep.equal([
        ['2026-11-21T11:59:30Z', '2026-11-21T11:55:00Z'],
        ['2026-11-21T11:59:30Z', null],
      ]);
    });

    it('shows <unknown> for the zero time and a future time as 0s or <invalid>', () => {
      const obj = (ts: string) => ({ metadata: { name: 'x', creationTimestamp: ts } });
      const ages = ['0001-01-01T00:00:00Z', '2026-11-21T12:00:01Z', '2026-11-21T12:00:02Z'].map(
        (ts) => toTable({ printerColumns: [] }, [obj(ts)], { now: NOW, includeObject: 'None' }).rows[0]?.cells[1],
      );
      expect(ages).to.deep.equal(['<unknown>', '0s', '<invalid>']);
    });
  });

  describe('tableForWatchEvent', () => {
    it('is a one-row Table with the object resourceVersion, column definitions on request', () => {
      const first = tableForWatchEvent(NODE, n1, { now: NOW });
      expect(first.metadata).to.deep.equal({ resourceVersion: '7' });
      expect(first.columnDefinitions).to.deep.equal(tableColumns(NODE));
      expect(first.rows).to.have.length(1);
      expect(first.rows[0]?.cells).to.deep.equal(['n1', 'True', 'Debian', 8, 0.25, false, '30s', '10.0.0.1', '5m']);
      const later = tableForWatchEvent(NODE, n2, { now: NOW, includeColumns: false, includeObject: 'Object' });
      expect(later.columnDefinitions).to.deep.equal([]);
      expect(later.metadata).to.deep.equal({ resourceVersion: '9' });
      expect(later.rows[0]?.object).to.equal(n2);
    });

    it('bookmarkTable carries only the resourceVersion', () => {
      expect(bookmarkTable('99')).to.deep.equal({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '99' }, columnDefinitions: [], rows: [] });
    });
  });

  describe('evaluateJSONPath', () => {
    const obj = {
      a: {
        b: 1,
        'c.d': 2,
        arr: [{ n: 1, t: 'x' }, { n: 2, t: 'y' }, { n: 3 }],
        m: { k1: 'v1', k2: 'v2' },
        nul: null,
      },
    };
    const cases: Array<[string, unknown[]]> = [
      ['.a.b', [1]],
      ['{.a.b}', [1]],
      ['$.a.b', [1]],
      ["{$.a['c.d']}", [2]],
      ['.a.c\\.d', [2]],
      ['.a.arr[0].n', [1]],
      ['.a.arr[-1].n', [3]],
      ['.a.arr[5].n', []],
      ['.a.arr[*].t', ['x', 'y']],
      ['.a.arr[0:2].n', [1, 2]],
      ['.a.arr[1:].n', [2, 3]],
      ['.a.arr[::2].n', [1, 3]],
      ['.a.arr[?(@.t=="y")].n', [2]],
      [".a.arr[?( @.t == 'y' )].n", [2]],
      ['.a.arr[?(@.n>1)].n', [2, 3]],
      ['.a.arr[?(@.n<=2)].t', ['x', 'y']],
      ['.a.arr[?(@.t!="x")].n', [2]],
      ['.a.arr[?(@.t)].n', [1, 2]],
      ['.a.arr[?(@.n=="1")].t', []],
      ['.a.m.*', ['v1', 'v2']],
      ['..n', [1, 2, 3]],
      ['.a.nul', [null]],
      ['.missing.x', []],
      ['.a.b.c', []],
    ];
    for (const [path, expected] of cases) {
      it(`${path} -> ${JSON.stringify(expected)}`, () => {
        expect(evaluateJSONPath(path, obj)).to.deep.equal(expected);
      });
    }

    for (const bad of ['.a[', 'a.b', '.a[?(@.x ~ 1)]', '.a[?@.x]', '.a[1:2:0]', ".a['x]"]) {
      it(`rejects ${bad}`, () => {
        expect(() => evaluateJSONPath(bad, obj)).to.throw(JSONPathError, /^invalid JSONPath /);
      });
    }
  });

  describe('humanDuration (k8s duration.HumanDuration)', () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    const cases: Array<[number, string]> = [
      [-2 * s, '<invalid>'],
      [-1 * s, '0s'],
      [0, '0s'],
      [1 * s, '1s'],
      [70 * s, '70s'],
      [119 * s, '119s'],
      [120 * s, '2m'],
      [190 * s, '3m10s'],
      [10 * m, '10m'],
      [70 * m, '70m'],
      [3 * h, '3h'],
      [7 * h + 59 * m, '7h59m'],
      [47 * h, '47h'],
      [49 * h, '2d1h'],
      [(8 * 24 + 2) * h, '8d'],
      [367 * 24 * h, '367d'],
      [(365 * 2 * 24 + 25) * h, '2y1d'],
      [(365 * 8 * 24 + 2) * h, '8y'],
    ];
    for (const [ms, want] of cases) {
      it(`${ms}ms -> ${want}`, () => expect(humanDuration(ms)).to.equal(want));
    }
  });

  describe('parseAccept', () => {
    const json = { acceptable: true, table: false, yaml: false, mediaType: 'application/json' };
    const cases: Array<[string | undefined, object]> = [
      [undefined, json],
      ['', json],
      ['application/json', json],
      ['*/*', json],
      [
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
        { acceptable: true, table: true, tableApiVersion: 'meta.k8s.io/v1', yaml: false, mediaType: 'application/json' },
      ],
      ['application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json', { acceptable: true, table: true, tableApiVersion: 'meta.k8s.io/v1beta1', yaml: false, mediaType: 'application/json' }],
      ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', json],
      ['application/yaml', { acceptable: true, table: false, yaml: true, mediaType: 'application/yaml' }],
      ['application/yaml;as=Table;v=v1;g=meta.k8s.io', { acceptable: true, table: true, tableApiVersion: 'meta.k8s.io/v1', yaml: true, mediaType: 'application/yaml' }],
      ['application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io', { acceptable: true, table: true, tableApiVersion: 'meta.k8s.io/v1', yaml: false, mediaType: 'application/json' }],
      ['application/json;as=Table;g=meta.k8s.io;v=v1;includeObject=Object', { acceptable: true, table: true, tableApiVersion: 'meta.k8s.io/v1', includeObject: 'Object', yaml: false, mediaType: 'application/json' }],
      ['application/json;as=Table;v=v2;g=meta.k8s.io', { acceptable: false, table: false, yaml: false, mediaType: 'application/json' }],
      ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', { acceptable: true, table: false, yaml: false, mediaType: 'application/json', partial: 'meta.k8s.io/v1' }],
      ['application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1', { acceptable: true, table: false, yaml: false, mediaType: 'application/json', partial: 'meta.k8s.io/v1beta1' }],
      ['application/json;as=PartialObjectMetadata;v=v1;g=other.io', { acceptable: false, table: false, yaml: false, mediaType: 'application/json' }],
      ['application/vnd.kubernetes.protobuf', { acceptable: false, table: false, yaml: false, mediaType: 'application/json' }],
      ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', { acceptable: false, table: false, yaml: false, mediaType: 'application/json' }],
      ['application/json;q=0', { acceptable: false, table: false, yaml: false, mediaType: 'application/json' }],
    ];
    for (const [header, expected] of cases) {
      it(`${JSON.stringify(header)}`, () => expect(parseAccept(header)).to.deep.equal(expected));
    }

    it('parseIncludeObject', () => {
      expect(parseIncludeObject(undefined)).to.equal(undefined);
      expect(parseIncludeObject('Object')).to.equal('Object');
      expect(parseIncludeObject('None')).to.equal('None');
      expect(() => parseIncludeObject('All')).to.throw('includeObject: Unsupported value: "All": supported values: "Metadata", "None", "Object"');
    });
  });
});
