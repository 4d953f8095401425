// Kubernetes' protobuf request bodies, for the built-in kinds kubectl sends that way (its typed clients:
// `kubectl create namespace`, `kubectl auth can-i`, `kubectl auth whoami`). Custom kinds always travel as
// JSON, so HyprBox kinds are never decoded here. Only decoding: answers are JSON, which those clients accept.
//
// Wire format: the 4 bytes "k8s\0", then a runtime.Unknown whose `raw` holds the object's message. The message
// definitions below are the fields of k8s.io/api and apimachinery's generated.proto that these kinds use, with
// the same field numbers; fields not listed are skipped, like every protobuf reader skips unknown fields.
import protobuf from 'protobufjs';
import type { Type } from 'protobufjs';
import { badRequest, unsupportedMediaType } from './errors.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

const PROTO = `
syntax = "proto2";
package k8s;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message OwnerReference { optional string apiVersion = 5; optional string kind = 1; optional string name = 3; optional string uid = 4; optional bool controller = 6; optional bool blockOwnerDeletion = 7; }
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3; optional string uid = 5;
  optional string resourceVersion = 6; optional int64 generation = 7; optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9; optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11; map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13; repeated string finalizers = 14;
}
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message ResourceAttributes {
  optional string namespace = 1; optional string verb = 2; optional string group = 3; optional string version = 4;
  optional string resource = 5; optional string subresource = 6; optional string name = 7;
}
message NonResourceAttributes { optional string path = 1; optional string verb = 2; }
message SelfSubjectAccessReviewSpec { optional ResourceAttributes resourceAttributes = 1; optional NonResourceAttributes nonResourceAttributes = 2; }
message SelfSubjectAccessReview { optional ObjectMeta metadata = 1; optional SelfSubjectAccessReviewSpec spec = 2; }
message SelfSubjectRulesReviewSpec { optional string namespace = 1; }
message SelfSubjectRulesReview { optional ObjectMeta metadata = 1; optional SelfSubjectRulesReviewSpec spec = 2; }
message SelfSubjectReview { optional ObjectMeta metadata = 1; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
const type = (name: string): Type => root.lookupType(`k8s.${name}`);
const UNKNOWN = type('Unknown');
const TIME = type('Time');
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The kinds decoded here, by `apiVersion/kind`. */
const KINDS: Record<string, Type> = {
  'v1/Namespace': type('Namespace'),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': type('SelfSubjectAccessReview'),
  'authorization.k8s.io/v1/SelfSubjectRulesReview': type('SelfSubjectRulesReview'),
  'authentication.k8s.io/v1/SelfSubjectReview': type('SelfSubjectReview'),
};

/** metav1.Time in JSON: RFC 3339 in whole seconds as Kubernetes writes it; the zero time is absent (null). */
function rfc3339(t: { seconds?: number }): string | undefined {
  return t.seconds ? new Date(t.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}

/**
 * The JSON form of a decoded message. Go writes every non-pointer field, so "", 0 and false arrive although the
 * sender set nothing; Kubernetes' JSON leaves such (omitempty) fields out, and so does this. Map values stay
 * as they are: an empty label value is a value.
 */
function toJson(t: Type, msg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    const field = t.fields[k]!;
    if (field.map) out[k] = v;
    else if (field.resolvedType === TIME) {
      const time = rfc3339(v as { seconds?: number });
      if (time) out[k] = time;
    } else if (field.resolvedType) {
      const sub = field.resolvedType as Type;
      out[k] = field.repeated ? (v as Array<Record<string, unknown>>).map((x) => toJson(sub, x)) : toJson(sub, v as Record<string, unknown>);
    } else if (field.repeated || (v !== '' && v !== 0 && v !== false)) out[k] = v;
  }
  return out;
}

/** Decodes a protobuf request body into the object its JSON form would be; 400 if unreadable, 415 if not ours. */
export function decodeProtobuf(raw: Buffer): Record<string, unknown> {
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('malformed protobuf in request body: it does not start with the Kubernetes envelope ("k8s\\0")');
  }
  let envelope: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array; contentEncoding?: string };
  try {
    envelope = UNKNOWN.toObject(UNKNOWN.decode(raw.subarray(MAGIC.length))) as typeof envelope;
  } catch (err) {
    throw badRequest(`malformed protobuf in request body: ${(err as Error).message}`);
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const message = KINDS[`${apiVersion}/${kind}`];
  if (!message) throw unsupportedMediaType(`${PROTOBUF} (${apiVersion}/${kind})`, ['application/json', 'application/yaml']);
  if (envelope.contentEncoding) throw badRequest(`protobuf content encoding "${envelope.contentEncoding}" is not supported`);
  let obj: Record<string, unknown>;
  try {
    obj = message.toObject(message.decode(envelope.raw ?? new Uint8Array()), { longs: Number }) as Record<string, unknown>;
  } catch (err) {
    throw badRequest(`malformed protobuf ${kind} in request body: ${(err as Error).message}`);
  }
  return { apiVersion, kind, metadata: {}, ...toJson(message, obj) };
}
