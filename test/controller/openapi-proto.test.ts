// GET /openapi/v2 in protobuf (gnostic openapi.v2.Document), what kubectl downloads for `kind: List` files and
// unknown kinds. The bytes are read back here by a bare wire-format reader with the field numbers written out
// from gnostic's OpenAPIv2.proto, not with the encoder's message definitions, so a wrong number shows.
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { loadResources } from '@hyprbox/crds';
import { openapiV2 } from '@hyprbox/controller/api/openapi';
import { acceptsOpenAPIV2Protobuf, encodeOpenAPIV2 } from '@hyprbox/controller/api/openapi-proto';

type Json = Record<string, unknown>;
type Wire = Map<number, Array<Uint8Array | number>>;

/** One message's fields by number: bytes for length-delimited ones, numbers for varints and doubles. */
function wire(buf: Uint8Array): Wire {
  const r = protobuf.Reader.create(buf);
  const out: Wire = new Map();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const kind = tag & 7;
    const value = kind === 2 ? r.bytes() : kind === 0 ? r.uint32() : kind === 1 ? r.double() : undefined;
    if (value === undefined) throw new Error(`unexpected wire type ${kind}`);
    out.set(tag >>> 3, [...(out.get(tag >>> 3) ?? []), value]);
  }
  return out;
}
const all = (m: Wire, n: number) => m.get(n) ?? [];
const one = (m: Wire, n: number) => {
  const v = all(m, n);
  expect(v.length, `field ${n} more than once`).to.be.at.most(1);
  return v[0];
};
const text = (v: unknown) => Buffer.from(v as Uint8Array).toString('utf8');
const sub = (v: unknown) => wire(v as Uint8Array);
/** gnostic Any: the YAML text (2); written as JSON, which YAML readers take as it is. */
const anyValue = (v: unknown): unknown => JSON.parse(text(one(sub(v), 2)));
/** repeated NamedAny (name 1, Any 2) as the `x-` keys of the JSON form. */
const extensions = (m: Wire, n: number): Json => Object.fromEntries(all(m, n).map((e) => [text(one(sub(e), 1)), anyValue(one(sub(e), 2))]));
/** repeated Named<T> (name 1, value 2). */
const named = (m: Wire, n: number, value: (v: Wire) => unknown): Json => Object.fromEntries(all(m, n).map((e) => [text(one(sub(e), 1)), value(sub(one(sub(e), 2)))]));

const SCHEMA_STRINGS: Record<number, string> = { 1: '$ref', 2: 'format', 3: 'title', 4: 'description', 13: 'pattern', 26: 'discriminator' };
const SCHEMA_NUMBERS: Record<number, string> = { 6: 'multipleOf', 7: 'maximum', 9: 'minimum', 11: 'maxLength', 12: 'minLength', 14: 'maxItems', 15: 'minItems', 17: 'maxProperties', 18: 'minProperties' };
const SCHEMA_BOOLS: Record<number, string> = { 8: 'exclusiveMaximum', 10: 'exclusiveMinimum', 16: 'uniqueItems', 27: 'readOnly' };

/** openapi.v2.Schema back to JSON. */
function schema(m: Wire): Json {
  const out: Json = {};
  for (const [n, k] of Object.entries(SCHEMA_STRINGS)) if (m.has(+n)) out[k] = text(one(m, +n));
  for (const [n, k] of Object.entries(SCHEMA_NUMBERS)) if (m.has(+n)) out[k] = one(m, +n);
  for (const [n, k] of Object.entries(SCHEMA_BOOLS)) if (m.has(+n)) out[k] = one(m, +n) === 1;
  if (m.has(5)) out.default = anyValue(one(m, 5));
  if (m.has(30)) out.example = anyValue(one(m, 30));
  if (m.has(19)) out.required = all(m, 19).map(text);
  if (m.has(20)) out.enum = all(m, 20).map(anyValue);
  if (m.has(21)) {
    const ap = sub(one(m, 21)); // AdditionalPropertiesItem: oneof schema 1 | boolean 2
    out.additionalProperties = ap.has(1) ? schema(sub(one(ap, 1))) : one(ap, 2) === 1;
  }
  if (m.has(22)) {
    const types = all(sub(one(m, 22)), 1).map(text); // TypeItem.value
    out.type = types.length === 1 ? types[0] : types;
  }
  if (m.has(23)) {
    const items = all(sub(one(m, 23)), 1).map((s) => schema(sub(s))); // ItemsItem.schema
    out.items = items.length === 1 ? items[0] : items;
  }
  if (m.has(24)) out.allOf = all(m, 24).map((s) => schema(sub(s)));
  if (m.has(25)) out.properties = named(sub(one(m, 25)), 1, schema); // Properties.additional_properties
  return { ...out, ...extensions(m, 31) };
}

/** A Swagger 2.0 schema as proto3 carries it: false, 0 and "" scalars are not written (they read back the same). */
function proto3(s: unknown): unknown {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default' || k === 'example' || k === 'enum' || k.startsWith('x-')) out[k] = v;
    else if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Json).map(([n, p]) => [n, proto3(p)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = proto3(v);
    else if (k === 'allOf') out[k] = (v as unknown[]).map(proto3);
    else if (v !== false && v !== 0 && v !== '' && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return out;
}

/** What kubectl reads from an operation, from the JSON form. */
function operationView(op: Json): Json {
  const params = ((op.parameters as Json[] | undefined) ?? []).map((p) => ({ name: p.name, in: p.in, required: p.required === true, type: p.type, $ref: (p.schema as Json | undefined)?.$ref }));
  const responses = Object.fromEntries(Object.entries(op.responses as Record<string, Json>).map(([code, r]) => [code, { description: r.description, $ref: (r.schema as Json | undefined)?.$ref }]));
  return { tags: op.tags, operationId: op.operationId, consumes: op.consumes ?? [], produces: op.produces, schemes: op.schemes, gvk: op['x-kubernetes-group-version-kind'], action: op['x-kubernetes-action'], params, responses };
}

/** ParametersItem -> Parameter (1) -> body (1) or non-body (2) -> query (3) or path (4), back to name/in/required/type/$ref. */
function parameterView(item: Wire): Json {
  const p = sub(one(item, 1));
  if (p.has(1)) {
    const body = sub(one(p, 1)); // BodyParameter: name 2, in 3, required 4, schema 5
    return { name: text(one(body, 2)), in: text(one(body, 3)), required: one(body, 4) === 1, type: undefined, $ref: schema(sub(one(body, 5))).$ref };
  }
  const nonBody = sub(one(p, 2));
  const [kind, s] = nonBody.has(3) ? ['query', sub(one(nonBody, 3))] : ['path', sub(one(nonBody, 4))];
  // QueryParameterSubSchema: required 1, in 2, name 4, type 6; PathParameterSubSchema: type 5.
  return { name: text(one(s, 4)), in: text(one(s, 2)), required: one(s, 1) === 1, type: text(one(s, kind === 'query' ? 6 : 5)), $ref: undefined };
}

function operationFromProto(op: Wire): Json {
  const responses = named(sub(one(op, 9)), 1, (rv) => {
    const r = sub(one(rv, 1)); // ResponseValue.response -> Response: description 1, schema 2 (SchemaItem.schema 1)
    return { description: text(one(r, 1)), $ref: r.has(2) ? schema(sub(one(sub(one(r, 2)), 1))).$ref : undefined };
  });
  const ext = extensions(op, 13);
  return {
    tags: all(op, 1).map(text),
    operationId: text(one(op, 5)),
    consumes: all(op, 7).map(text),
    produces: all(op, 6).map(text),
    schemes: all(op, 10).map(text),
    gvk: ext['x-kubernetes-group-version-kind'],
    action: ext['x-kubernetes-action'],
    params: all(op, 8).map((p) => parameterView(sub(p))),
    responses,
  };
}

describe('OpenAPI v2 as protobuf (gnostic openapi.v2.Document)', () => {
  it('writes the upstream field numbers (a tiny document, byte by byte)', () => {
    const bytes = encodeOpenAPIV2({
      swagger: '2.0',
      info: { title: 'T', version: 'v1' },
      definitions: { A: { type: 'object', required: ['b'], properties: { b: { $ref: '#/definitions/B' } }, additionalProperties: false, 'x-k': [1] } },
    });
    const len = (...parts: number[][]) => [parts.flat().length, ...parts.flat()];
    const s = (v: string) => len([...Buffer.from(v)]);
    const expected = [
      0x0a, ...s('2.0'), // Document.swagger = 1
      0x12, ...len([0x0a, ...s('T')], [0x12, ...s('v1')]), // Document.info = 2 { title = 1, version = 2 }
      0x4a, ...len([0x0a, ...len(// Document.definitions = 9 { additional_properties = 1: NamedSchema
        [0x0a, ...s('A')], // name = 1
        [0x12, ...len(// value = 2: Schema
          [0x9a, 0x01, ...s('b')], // required = 19
          [0xaa, 0x01, ...len([0x10, 0x00])], // additional_properties = 21 { boolean = 2: false (a oneof, so written) }
          [0xb2, 0x01, ...len([0x0a, ...s('object')])], // type = 22 { value = 1 }
          [0xca, 0x01, ...len([0x0a, ...len([0x0a, ...s('b')], [0x12, ...len([0x0a, ...s('#/definitions/B')])])])], // properties = 25 { NamedSchema { name, Schema { _ref = 1 } } }
          [0xfa, 0x01, ...len([0x0a, ...s('x-k')], [0x12, ...len([0x12, ...s('[1]')])])], // vendor_extension = 31 { name = 1, Any { yaml = 2 } }
        )],
      )]),
    ];
    expect([...bytes]).to.deep.equal(expected);
  });

  it('carries the real document: every definition whole, every operation as kubectl reads it', () => {
    const v2 = openapiV2(loadResources().filter((d) => d.group !== '')) as { swagger: string; info: Json; paths: Record<string, Record<string, unknown>>; definitions: Record<string, Json>; securityDefinitions: Json };
    const doc = wire(encodeOpenAPIV2(v2));
    expect(text(one(doc, 1))).to.equal('2.0');
    const info = sub(one(doc, 2));
    expect([text(one(info, 1)), text(one(info, 2))]).to.deep.equal([v2.info.title, v2.info.version]);

    // Definitions (9): each one equal to its JSON form, in the same order.
    const definitions = named(sub(one(doc, 9)), 1, schema);
    expect(Object.keys(definitions)).to.deep.equal(Object.keys(v2.definitions));
    for (const [name, s] of Object.entries(v2.definitions)) expect(definitions[name], name).to.deep.equal(proto3(s));
    // What kubectl maps kinds through, spelled out for one kind and its list.
    const node = definitions['io.hyprbox.v1alpha1.Node'] as Json;
    expect(node['x-kubernetes-group-version-kind']).to.deep.equal([{ group: 'hyprbox.io', kind: 'Node', version: 'v1alpha1' }]);
    expect((node.properties as Record<string, Json>).metadata?.$ref).to.equal('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    const list = definitions['io.hyprbox.v1alpha1.NodeList'] as Json;
    expect(list.required).to.deep.equal(['items']);
    expect(((list.properties as Record<string, Json>).items?.items as Json).$ref).to.equal('#/definitions/io.hyprbox.v1alpha1.Node');
    const gvks = Object.values(definitions).flatMap((d) => ((d as Json)['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []);
    expect(gvks.length).to.equal(Object.values(v2.definitions).flatMap((d) => (d['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []).length);

    // Paths (8): Paths.path = 2, NamedPathItem { name, PathItem }; methods at get 2, put 3, post 4, delete 5, patch 8, parameters 9.
    const METHODS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };
    const paths = named(sub(one(doc, 8)), 2, (item) => item) as Record<string, Wire>;
    expect(Object.keys(paths)).to.deep.equal(Object.keys(v2.paths));
    for (const [path, item] of Object.entries(v2.paths)) {
      const got = paths[path]!;
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') {
          const want = (op as Json[]).map((p) => ({ name: p.name, in: p.in, required: p.required === true, type: p.type, $ref: undefined }));
          expect(all(got, 9).map((p) => parameterView(sub(p))), `${path} parameters`).to.deep.equal(want);
        } else {
          expect(operationFromProto(sub(one(got, METHODS[method]!))), `${method} ${path}`).to.deep.equal(operationView(op as Json));
        }
      }
    }
    const patch = operationFromProto(sub(one(paths['/apis/hyprbox.io/v1alpha1/namespaces/{namespace}/nodes/{name}']!, 8)));
    expect(patch.gvk).to.deep.equal({ group: 'hyprbox.io', kind: 'Node', version: 'v1alpha1' });
    expect((patch.params as Json[]).map((p) => p.name)).to.include('fieldValidation');

    // securityDefinitions (13): NamedSecurityDefinitionsItem { name, SecurityDefinitionsItem { api_key_security = 2 } }; security (12).
    const security = named(sub(one(doc, 13)), 1, (item) => {
      const k = sub(one(item, 2)); // ApiKeySecurity: type 1, name 2, in 3, description 4
      return { type: text(one(k, 1)), description: text(one(k, 4)), name: text(one(k, 2)), in: text(one(k, 3)) };
    });
    expect(security).to.deep.equal(v2.securityDefinitions);
    expect(all(doc, 12).map((r) => named(sub(r), 1, (a) => all(a, 1).map(text)))).to.deep.equal([{ BearerToken: [] }]);
  });

  it('writes nothing it cannot represent, rather than dropping it', () => {
    expect(() => encodeOpenAPIV2({ swagger: '2.0', definitions: { A: { type: 'object', nullable: true } } })).to.throw('A: "nullable" has no field');
    expect(() => encodeOpenAPIV2({ swagger: '2.0', paths: { '/x': { get: { parameters: [{ name: 'h', in: 'header', type: 'string' }], responses: {} } } } })).to.throw('in: header');
  });

  it('recognizes the Accept header kubectl sends, in both spellings', () => {
    expect(acceptsOpenAPIV2Protobuf('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).to.equal(true);
    expect(acceptsOpenAPIV2Protobuf('application/com.github.proto-openapi.spec.v2.v1.0+protobuf')).to.equal(true);
    expect(acceptsOpenAPIV2Protobuf('application/json')).to.equal(false);
  });
});
