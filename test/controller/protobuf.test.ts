// Protobuf request bodies (kubectl's typed clients): decoded to the JSON the same object would have been, or
// refused with a status naming why. The bytes are written by hand here, field by field, from Kubernetes'
// generated.proto numbers, so a wrong number in the decoder's schema shows.
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { decodeProtobuf } from '@hyprbox/controller/api/protobuf';
import { ApiError } from '@hyprbox/controller/api/errors';

const MAGIC = Buffer.from('k8s\0', 'latin1');
type Build = (w: protobuf.Writer) => void;
const msg = (build: Build): Uint8Array => {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
};
const bytes = (w: protobuf.Writer, field: number, b: Uint8Array) => w.uint32((field << 3) | 2).bytes(b);
const str = (w: protobuf.Writer, field: number, s: string) => w.uint32((field << 3) | 2).string(s);
const envelope = (apiVersion: string, kind: string, raw: Uint8Array): Buffer =>
  Buffer.concat([MAGIC, msg((w) => {
    bytes(w, 1, msg((t) => (str(t, 1, apiVersion), str(t, 2, kind))));
    bytes(w, 2, raw);
  })]);
const entry = (k: string, v: string) => msg((e) => (str(e, 1, k), str(e, 2, v)));

const failsWith = (fn: () => unknown, code: number, text: string) => {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ApiError);
    expect((err as ApiError).code).to.equal(code);
    expect((err as ApiError).message).to.contain(text);
    return;
  }
  expect.fail('no error');
};

describe('protobuf request bodies', () => {
  it('decodes a Namespace as its JSON form: maps kept whole, unset Go zero values left out', () => {
    const meta = msg((m) => {
      str(m, 1, 'web'); // name
      str(m, 2, ''); // generateName, written empty by Go
      m.uint32((7 << 3) | 0).int64(0); // generation 0
      bytes(m, 8, msg(() => undefined)); // creationTimestamp: the zero Time
      bytes(m, 11, entry('team', 'ops')); // labels
      bytes(m, 11, entry('empty', ''));
      bytes(m, 12, entry('note', 'x')); // annotations
      str(m, 14, 'hyprbox.io/keep'); // finalizers
    });
    const ns = msg((n) => {
      bytes(n, 1, meta);
      bytes(n, 2, msg(() => undefined));
      bytes(n, 3, msg((s) => str(s, 1, '')));
    });
    expect(decodeProtobuf(envelope('v1', 'Namespace', ns))).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'web', labels: { team: 'ops', empty: '' }, annotations: { note: 'x' }, finalizers: ['hyprbox.io/keep'] },
      spec: {},
      status: {},
    });
  });

  it('decodes a SelfSubjectAccessReview and writes times as RFC 3339', () => {
    const meta = msg((m) => bytes(m, 8, msg((t) => t.uint32(8).int64(1_700_000_000))));
    const ra = msg((r) => (str(r, 1, 'acme'), str(r, 2, 'delete'), str(r, 3, 'hyprbox.io'), str(r, 5, 'nodes'), str(r, 7, 'web-1')));
    const review = msg((o) => (bytes(o, 1, meta), bytes(o, 2, msg((s) => bytes(s, 1, ra)))));
    expect(decodeProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', review))).to.deep.equal({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: { resourceAttributes: { namespace: 'acme', verb: 'delete', group: 'hyprbox.io', resource: 'nodes', name: 'web-1' } },
    });
  });

  it('refuses what it cannot read: no envelope, cut short, a kind it does not know', () => {
    failsWith(() => decodeProtobuf(Buffer.from('{"kind":"Namespace"}')), 400, 'envelope');
    const whole = envelope('v1', 'Namespace', msg((n) => bytes(n, 1, msg((m) => str(m, 1, 'web')))));
    failsWith(() => decodeProtobuf(whole.subarray(0, whole.length - 3)), 400, 'malformed protobuf');
    failsWith(() => decodeProtobuf(envelope('v1', 'Pod', new Uint8Array())), 415, 'v1/Pod');
    // HyprBox kinds have no protobuf form: clients send them as JSON.
    failsWith(() => decodeProtobuf(envelope('hyprbox.io/v1alpha1', 'Node', new Uint8Array())), 415, 'application/json');
  });
});
