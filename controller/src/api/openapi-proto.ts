// GET /openapi/v2 in protobuf: the Swagger 2.0 document of openapi.ts as gnostic's `openapi.v2.Document`, the
// form kube-apiserver serves for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`. kubectl
// asks for it (and accepts nothing else) whenever a kind is missing from the v3 documents: every `kind: List`
// file and every unknown kind. It then validates List items against these schemas and maps kinds through
// `x-kubernetes-group-version-kind`, so the encoding must carry every field the JSON form has.
//
// The messages below are those of gnostic's openapiv2/OpenAPIv2.proto that this document needs, with the
// upstream field numbers (names and numbers are all the wire format depends on). Free-form JSON values
// (default, example, enum members, vendor extensions) travel as `Any` with YAML text. A key this encoder does
// not know is an error, never silently dropped: a missing field would make kubectl's checks disagree with
// the server's.
import protobuf from 'protobufjs';
import type { OpenAPIDocument } from './openapi.js';

/** What kubectl asks for (Accept). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * What the answer says it is, as kube-apiserver (kube-openapi) says: the dotted name, which kube-openapi also
 * accepts. `@` may not appear in a media type, and kubectl parses Content-Type with Go's mime package, which
 * fails on it ("mime: unexpected content after media subtype").
 */
export const OPENAPI_V2_PROTOBUF_ANSWER = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Whether an Accept header asks for the protobuf document, in either spelling. */
export const acceptsOpenAPIV2Protobuf = (accept: string): boolean => accept.includes(OPENAPI_V2_PROTOBUF) || accept.includes(OPENAPI_V2_PROTOBUF_ANSWER);

// Parameter sub-schemas share their fields, but the query one has allow_empty_value at 5, which shifts the rest.
const paramFields = (first: number) =>
  ['type', 'format', '', 'collection_format', 'default', 'maximum', 'exclusive_maximum', 'minimum', 'exclusive_minimum', 'max_length', 'min_length', 'pattern', 'max_items', 'min_items', 'unique_items', 'enum', 'multiple_of', 'vendor_extension']
    .map((name, i) => (name === '' ? '' : `${FIELD_TYPES[name]} ${name} = ${first + i};`))
    .join(' ');
const FIELD_TYPES: Record<string, string> = {
  type: 'string', format: 'string', collection_format: 'string', default: 'Any', maximum: 'double', exclusive_maximum: 'bool', minimum: 'double',
  exclusive_minimum: 'bool', max_length: 'int64', min_length: 'int64', pattern: 'string', max_items: 'int64', min_items: 'int64', unique_items: 'bool',
  enum: 'repeated Any', multiple_of: 'double', vendor_extension: 'repeated NamedAny',
};

const PROTO = `
syntax = "proto3";
package openapi.v2;
message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message Document {
  string swagger = 1; Info info = 2; string host = 3; string base_path = 4; repeated string schemes = 5; repeated string consumes = 6;
  repeated string produces = 7; Paths paths = 8; Definitions definitions = 9; repeated SecurityRequirement security = 12;
  SecurityDefinitions security_definitions = 13; repeated NamedAny vendor_extension = 16;
}
message Info { string title = 1; string version = 2; string description = 3; repeated NamedAny vendor_extension = 7; }
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5; Operation options = 6; Operation head = 7;
  Operation patch = 8; repeated ParametersItem parameters = 9; repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1; string summary = 2; string description = 3; string operation_id = 5; repeated string produces = 6;
  repeated string consumes = 7; repeated ParametersItem parameters = 8; Responses responses = 9; repeated string schemes = 10;
  bool deprecated = 11; repeated NamedAny vendor_extension = 13;
}
message ParametersItem { oneof oneof { Parameter parameter = 1; } }
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message BodyParameter { string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5; repeated NamedAny vendor_extension = 6; }
message NonBodyParameter { oneof oneof { QueryParameterSubSchema query_parameter_sub_schema = 3; PathParameterSubSchema path_parameter_sub_schema = 4; } }
message QueryParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; bool allow_empty_value = 5; ${paramFields(6)} }
message PathParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; ${paramFields(5)} }
message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message ResponseValue { oneof oneof { Response response = 1; } }
message Response { string description = 1; SchemaItem schema = 2; repeated NamedAny vendor_extension = 5; }
message SchemaItem { oneof oneof { Schema schema = 1; } }
message Definitions { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message ExternalDocs { string description = 1; string url = 2; repeated NamedAny vendor_extension = 3; }
message Schema {
  string _ref = 1; string format = 2; string title = 3; string description = 4; Any default = 5; double multiple_of = 6; double maximum = 7;
  bool exclusive_maximum = 8; double minimum = 9; bool exclusive_minimum = 10; int64 max_length = 11; int64 min_length = 12; string pattern = 13;
  int64 max_items = 14; int64 min_items = 15; bool unique_items = 16; int64 max_properties = 17; int64 min_properties = 18;
  repeated string required = 19; repeated Any enum = 20; AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22;
  ItemsItem items = 23; repeated Schema all_of = 24; Properties properties = 25; string discriminator = 26; bool read_only = 27;
  ExternalDocs external_docs = 29; Any example = 30; repeated NamedAny vendor_extension = 31;
}
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitionsItem { oneof oneof { BasicAuthenticationSecurity basic_authentication_security = 1; ApiKeySecurity api_key_security = 2; } }
message BasicAuthenticationSecurity { string type = 1; string description = 2; repeated NamedAny vendor_extension = 3; }
message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; repeated NamedAny vendor_extension = 5; }
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message StringArray { repeated string value = 1; }
`;

// resolveAll: fields() reads each field's resolved message type.
const root = protobuf.parse(PROTO, { keepCase: true }).root.resolveAll();
const DOCUMENT = root.lookupType('openapi.v2.Document');

type Json = Record<string, unknown>;
type Msg = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A JSON value as gnostic's Any. The YAML text is the value's JSON, which is YAML too: kubectl reads it with a
 * YAML 1.1 parser, where an unquoted `yes` or `on` would turn into a boolean, and JSON quotes every string.
 */
const any = (v: unknown): Msg => ({ yaml: JSON.stringify(v) });

function fail(at: string, key: string): never {
  throw new Error(`openapi v2 protobuf: ${at}: "${key}" has no field in openapi.v2 (gnostic)`);
}

/**
 * The message fields of a JSON object whose keys map one to one (camelCase to the proto's snake_case), with
 * `x-` keys as vendor extensions. `special` converts the keys that need more than a copy. Scalars equal to
 * proto3's defaults are left out, as Go's encoder does; they decode to the same value.
 */
function fields(type: protobuf.Type, at: string, obj: Json, special: Record<string, (v: unknown) => unknown> = {}): Msg {
  const out: Msg = {};
  const extensions: Msg[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (k.startsWith('x-')) {
      extensions.push({ name: k, value: any(v) });
      continue;
    }
    const name = k === '$ref' ? '_ref' : snake(k);
    const field = type.fields[name];
    if (!field) fail(at, k);
    if (special[k]) out[name] = special[k](v);
    else if (field.resolvedType?.name === 'Any') out[name] = field.repeated ? (v as unknown[]).map(any) : any(v);
    else if (field.resolvedType) fail(at, k);
    else if (v !== '' && v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0)) out[name] = v;
  }
  if (extensions.length > 0) {
    if (!type.fields.vendor_extension) fail(at, extensions[0]!.name as string);
    out.vendor_extension = extensions;
  }
  return out;
}

const named = <T>(obj: unknown, value: (v: unknown, name: string) => T) => Object.entries(obj as Json).map(([name, v]) => ({ name, value: value(v, name) }));

const T = (name: string) => root.lookupType(`openapi.v2.${name}`);
const SCHEMA = T('Schema');

function schema(s: unknown, at: string): Msg {
  if (!isObject(s)) throw new Error(`openapi v2 protobuf: ${at}: a schema must be an object`);
  return fields(SCHEMA, at, s, {
    type: (v) => ({ value: Array.isArray(v) ? v : [v] }),
    items: (v) => ({ schema: (Array.isArray(v) ? v : [v]).map((x, i) => schema(x, `${at}.items[${i}]`)) }),
    // Boolean or schema: a oneof, so `false` is written (it says "no other keys"), unlike a plain false field.
    additionalProperties: (v) => (typeof v === 'boolean' ? { boolean: v } : { schema: schema(v, `${at}.additionalProperties`) }),
    allOf: (v) => (v as unknown[]).map((x, i) => schema(x, `${at}.allOf[${i}]`)),
    properties: (v) => ({ additional_properties: named(v, (p, n) => schema(p, `${at}.properties.${n}`)) }),
    externalDocs: (v) => fields(T('ExternalDocs'), `${at}.externalDocs`, v as Json),
  });
}

function parameter(p: unknown, at: string): Msg {
  if (!isObject(p)) fail(at, 'parameters');
  if (p.in === 'body') {
    return { parameter: { body_parameter: fields(T('BodyParameter'), at, p, { schema: (v) => schema(v, `${at}.schema`) }) } };
  }
  const sub = p.in === 'query' ? 'query_parameter_sub_schema' : p.in === 'path' ? 'path_parameter_sub_schema' : fail(at, `in: ${String(p.in)}`);
  const type = p.in === 'query' ? T('QueryParameterSubSchema') : T('PathParameterSubSchema');
  return { parameter: { non_body_parameter: { [sub]: fields(type, at, p) } } };
}

const parameters = (ps: unknown, at: string) => (ps as unknown[]).map((p, i) => parameter(p, `${at}.parameters[${i}]`));

function operation(op: unknown, at: string): Msg {
  return fields(T('Operation'), at, op as Json, {
    parameters: (v) => parameters(v, at),
    responses: (v) => ({
      response_code: named(v, (r, code) => ({
        response: fields(T('Response'), `${at}.responses.${code}`, r as Json, { schema: (s) => ({ schema: schema(s, `${at}.responses.${code}.schema`) }) }),
      })),
    }),
  });
}

function pathItem(item: unknown, at: string): Msg {
  const special: Record<string, (v: unknown) => unknown> = { parameters: (v) => parameters(v, at) };
  for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch']) special[method] = (v) => operation(v, `${at}.${method}`);
  return fields(T('PathItem'), at, item as Json, special);
}

function securityScheme(s: unknown, name: string): Msg {
  const at = `securityDefinitions.${name}`;
  const def = s as Json;
  if (def.type === 'apiKey') return { api_key_security: fields(T('ApiKeySecurity'), at, def) };
  if (def.type === 'basic') return { basic_authentication_security: fields(T('BasicAuthenticationSecurity'), at, def) };
  return fail(at, `type: ${String(def.type)}`);
}

/** The message of a Swagger 2.0 document (as openapiV2 builds it), ready for `Document.encode`. */
export function openapiV2Message(doc: OpenAPIDocument): Msg {
  return fields(DOCUMENT, 'document', doc, {
    info: (v) => fields(T('Info'), 'info', v as Json),
    paths: (v) => ({ path: named(v, (item, path) => pathItem(item, path)) }),
    definitions: (v) => ({ additional_properties: named(v, (s, name) => schema(s, name)) }),
    securityDefinitions: (v) => ({ additional_properties: named(v, securityScheme) }),
    security: (v) => (v as Json[]).map((req) => ({ additional_properties: named(req, (scopes) => ({ value: scopes })) })),
  });
}

/** The protobuf bytes of a Swagger 2.0 document. */
export function encodeOpenAPIV2(doc: OpenAPIDocument): Buffer {
  const message = openapiV2Message(doc);
  const invalid = DOCUMENT.verify(message);
  if (invalid) throw new Error(`openapi v2 protobuf: ${invalid}`);
  return Buffer.from(DOCUMENT.encode(DOCUMENT.fromObject(message)).finish());
}
