// Validation with Kubernetes semantics: defaulting, unknown fields, schema errors with field paths, ObjectMeta rules.
import { expect } from 'chai';
import {
  createValidator,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isRfc3339DateTime,
  loadResources,
  unknownFieldCauses,
  validateObjectMeta,
} from '@hyprbox/crds';
import type { Cause, Event, Finding, Node, NodeProfile, Preset, ResourceDef, ResourceValidator, Run } from '@hyprbox/crds';

type Obj = Record<string, unknown>;

function def(kind: string): ResourceDef {
  const d = loadResources().find((x) => x.kind === kind);
  if (!d) throw new Error(`no kind ${kind}`);
  return d;
}

function validator(kind: string): ResourceValidator {
  return createValidator(def(kind));
}

/** A plain JSON copy of a typed object, as the API server receives it. */
function plain(o: object): Obj {
  return structuredClone(o) as Obj;
}

const API = 'hyprbox.io/v1alpha1';
const T = '2026-11-21T10:00:00Z';

const EXAMPLES: { [K in 'Event' | 'Finding' | 'Node' | 'NodeProfile' | 'Preset' | 'Run']: () => Obj } = {
  Node: () => plain({
    apiVersion: API,
    kind: 'Node',
    metadata: { name: 'web-1', namespace: 'acme', labels: { role: 'db', 'hyprbox.io/env': 'prod' } },
    spec: {
      paused: false,
      agentConfig: { scanInterval: '15m', tlsPaths: ['/etc/letsencrypt/live/*/fullchain.pem'], monitoring: true, tlsWarnDays: 30, tlsCriticalDays: 7 },
      maintenanceWindows: [{ schedule: '0 2 * * *', duration: '2h', timeZone: 'Europe/Paris' }],
    },
    status: {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'NodeReady', message: 'heartbeats arrive', lastTransitionTime: T, observedGeneration: 1 }],
      lastHeartbeatTime: '2026-11-21T10:00:05.123456Z',
      agentVersion: '0.1.0',
      inventory: {
        hostname: 'web-1', os: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-18-amd64', architecture: 'x64',
        addresses: ['10.0.0.5'], cpuCount: 4, memoryBytes: 8589934592,
        disks: [{ mount: '/', fsType: 'ext4', sizeBytes: 100000000000, usedBytes: 40000000000 }],
        containers: [{ name: 'pg', image: 'postgres:16', volumes: ['pgdata'] }],
      },
      metrics: { cpuPercent: 12.5, memoryPercent: 40, diskPercent: 40 },
      probes: {
        'sshd.passwordAuthentication': { state: 'ok', value: 'no', observedAt: T },
        'disk.usage': { state: 'ok', value: { '/': 40 } },
        'service.nginx': { state: 'unknown', reason: 'no service manager (not PID 1)' },
      },
      health: 'healthy',
    },
  } satisfies Node),
  NodeProfile: () => plain({
    apiVersion: API,
    kind: 'NodeProfile',
    metadata: { name: 'db-servers', namespace: 'acme' },
    spec: {
      nodeSelector: { matchLabels: { role: 'db' }, matchExpressions: [{ key: 'hyprbox.io/env', operator: 'In', values: ['prod'] }] },
      states: [
        { preset: 'ssh-hardening' },
        { preset: 'postgres-backup', with: { repository: '/srv/restic/acme', schedule: 'daily', passwordRef: 'file:/etc/hyprbox/restic.pass' } },
        { name: 'light', preset: 'server-light', severity: 'INFO' },
      ],
      remediation: { mode: 'auto', autoApproveUpTo: 'SAFE' },
      rollout: { canary: 1, maxParallel: 2, maxFailures: 0 },
      maintenanceWindows: [{ schedule: '0 2 * * *', duration: '2h', timeZone: 'Europe/Paris' }],
    },
    status: {
      observedGeneration: 2, matched: 3, compliant: 1, drifted: 1, unknown: 1, remediating: 0, failed: 0,
      nodes: [{ name: 'db-1', state: 'Compliant' }, { name: 'db-2', state: 'Drifted', message: 'ssh-hardening' }],
      health: 'warning',
      conditions: [{ type: 'Stalled', status: 'True', reason: 'RolloutPaused', message: 'run db-2-x failed', lastTransitionTime: T }],
    },
  } satisfies NodeProfile),
  Preset: () => plain({
    apiVersion: API,
    kind: 'Preset',
    metadata: { name: 'ssh-hardening' },
    spec: {
      description: 'Disables password authentication and root login over SSH.',
      risk: 'SAFE',
      params: { type: 'object', properties: { port: { type: 'integer', default: 22 } } },
      secretParams: ['PASSWORD_REF'],
      check: { probes: { 'sshd.passwordAuthentication': 'no' } },
      precheck: { script: 'sshd -t' },
      apply: { script: 'echo "PasswordAuthentication no" > /etc/ssh/sshd_config.d/hyprbox.conf', timeoutSeconds: 60 },
      verify: { script: 'sshd -T | grep -q "passwordauthentication no"' },
      rollback: { script: 'rm -f /etc/ssh/sshd_config.d/hyprbox.conf' },
      resolves: ['ssh.password-auth-enabled', 'drift.ssh-hardening'],
      resources: { cpuQuota: '50%', memoryMax: '256M' },
      version: '1.0.0',
    },
    status: { digest: `sha256:${'a'.repeat(64)}` },
  } satisfies Preset),
  Finding: () => plain({
    apiVersion: API,
    kind: 'Finding',
    metadata: { name: 'web-1.tls.expiring.abc12', namespace: 'acme' },
    spec: {
      nodeName: 'web-1', type: 'tls.expiring', key: '/etc/letsencrypt/live/example.com/fullchain.pem', severity: 'WARN',
      source: 'scanner', message: 'certificate expires in 6 days', details: { daysLeft: 6 }, recommendation: { preset: 'certbot-renew' },
    },
    status: {
      phase: 'AwaitingApproval', firstSeen: T, lastSeen: T, runRef: 'web-1-certbot-renew-1',
      history: [{ phase: 'Open', time: T, by: 'hyprnode' }, { phase: 'AwaitingApproval', time: T, by: 'controller', message: 'CONFIRM needs approval' }],
    },
  } satisfies Finding),
  Run: () => plain({
    apiVersion: API,
    kind: 'Run',
    metadata: { name: 'web-1-ssh-hardening-1', namespace: 'acme' },
    spec: {
      nodeName: 'web-1', preset: 'ssh-hardening', presetDigest: `sha256:${'0'.repeat(64)}`, risk: 'SAFE', params: { PORT: '22' },
      steps: [{ name: 'precheck', script: 'sshd -t' }, { name: 'apply', script: 'true', timeoutSeconds: 60 }, { name: 'verify', script: 'true' }],
      findingRef: 'web-1.drift.ssh-hardening', profileRef: 'db-servers', approvedBy: ['alice'], approvedAt: T,
      signature: 'MEUCIQ==', expiresAt: '2026-11-22T10:00:00+01:00', cancel: false,
    },
    status: {
      phase: 'Succeeded', claimedBy: 'web-1', startedAt: T, finishedAt: T, logBytes: 1234, message: 'verified',
      steps: [{ name: 'precheck', phase: 'Succeeded', exitCode: 0, startedAt: T, finishedAt: T }],
    },
  } satisfies Run),
  Event: () => plain({
    apiVersion: API,
    kind: 'Event',
    metadata: { name: 'web-1.17f3a', namespace: 'acme' },
    involvedObject: { apiVersion: API, kind: 'Node', name: 'web-1', namespace: 'acme' },
    reason: 'NodeLost',
    message: 'no heartbeat for 40s',
    type: 'Warning',
    count: 3,
    firstTimestamp: T,
    lastTimestamp: T,
    source: { component: 'hyprbox-controller' },
    reportingController: 'hyprbox.io/controller',
  } satisfies Event),
};

function causes(kind: string, obj: Obj): Cause[] {
  const v = validator(kind);
  v.applyDefaults(obj);
  return v.validate(obj);
}

describe('crds: validation', () => {
  describe('valid examples', () => {
    for (const [kind, make] of Object.entries(EXAMPLES)) {
      it(`accepts a complete ${kind}`, () => {
        const obj = make();
        const v = validator(kind);
        v.applyDefaults(obj);
        expect(v.validate(obj)).to.deep.equal([]);
        expect(v.unknownFields(obj)).to.deep.equal([]);
        expect(validateObjectMeta(obj['metadata'], { namespaced: def(kind).namespaced, isCreate: true })).to.deep.equal([]);
      });
    }

    it('caches one validator per kind', () => {
      expect(createValidator(def('Node'))).to.equal(createValidator(def('Node')));
      expect(createValidator(def('Node'))).to.not.equal(createValidator(def('Run')));
    });
  });

  describe('applyDefaults', () => {
    it('defaults Preset risk to CONFIRM and step timeouts to 1800 (30 minutes), keeping given values', () => {
      const obj: Obj = { apiVersion: API, kind: 'Preset', metadata: { name: 'p' }, spec: { apply: { script: 'true' }, verify: { script: 'true', timeoutSeconds: 5 } } };
      validator('Preset').applyDefaults(obj);
      expect(obj['spec']).to.deep.equal({ apply: { script: 'true', timeoutSeconds: 1800 }, verify: { script: 'true', timeoutSeconds: 5 }, risk: 'CONFIRM' });
      const safe: Obj = { spec: { risk: 'SAFE', apply: { script: 'true' } } };
      validator('Preset').applyDefaults(safe);
      expect((safe['spec'] as Obj)['risk']).to.equal('SAFE');
    });

    it('defaults NodeProfile remediation, rollout and suspend, and leaves its list items as written', () => {
      // Defaults inside user-written list items would make every GitOps re-apply look like a change.
      const obj: Obj = { spec: { states: [{ preset: 'a' }, { preset: 'b', severity: 'CRITICAL' }], maintenanceWindows: [{ schedule: '@daily', duration: '1h' }] } };
      validator('NodeProfile').applyDefaults(obj);
      expect(obj['spec']).to.deep.equal({
        states: [{ preset: 'a' }, { preset: 'b', severity: 'CRITICAL' }],
        maintenanceWindows: [{ schedule: '@daily', duration: '1h' }],
        remediation: { mode: 'auto', autoApproveUpTo: 'SAFE', dangerousApprovals: 1 },
        rollout: { canary: 1, maxParallel: 1, maxFailures: 0 },
        suspend: false,
      });
    });

    it('defaults fields inside list items where the schema has them (Run steps)', () => {
      const obj: Obj = { spec: { nodeName: 'n', preset: 'p', steps: [{ name: 'apply', script: 'true' }, { name: 'verify', script: 'true', timeoutSeconds: 9 }] } };
      validator('Run').applyDefaults(obj);
      expect((obj['spec'] as Obj)['steps']).to.deep.equal([
        { name: 'apply', script: 'true', timeoutSeconds: 1800 },
        { name: 'verify', script: 'true', timeoutSeconds: 9 },
      ]);
    });

    it('fills the missing fields of a partly given object', () => {
      const obj: Obj = { spec: { states: [{ preset: 'a' }], remediation: { mode: 'approve' }, rollout: { maxParallel: 5 } } };
      validator('NodeProfile').applyDefaults(obj);
      const spec = obj['spec'] as Obj;
      expect(spec['remediation']).to.deep.equal({ mode: 'approve', autoApproveUpTo: 'SAFE', dangerousApprovals: 1 });
      expect(spec['rollout']).to.deep.equal({ canary: 1, maxParallel: 5, maxFailures: 0 });
    });

    it('creates a missing Node spec from its default and defaults inside it', () => {
      const obj: Obj = { apiVersion: API, kind: 'Node', metadata: { name: 'n' } };
      validator('Node').applyDefaults(obj);
      expect(obj['spec']).to.deep.equal({ paused: false, requireApproval: false });
      expect(validator('Node').validate(obj)).to.deep.equal([]);
    });

    it('keeps a null where the schema allows one, and leaves an absent status absent', () => {
      const obj: Obj = { spec: {}, status: { probes: { a: { state: 'ok', value: null } } } };
      validator('Node').applyDefaults(obj);
      expect(obj['status']).to.deep.equal({ probes: { a: { state: 'ok', value: null } } });
      const noStatus: Obj = { spec: { nodeName: 'n', type: 'a.b', key: 'k', severity: 'INFO' } };
      validator('Finding').applyDefaults(noStatus);
      expect(noStatus).to.not.have.property('status');
      const status: Obj = { spec: {}, status: {} };
      validator('Finding').applyDefaults(status);
      expect(status['status']).to.deep.equal({ phase: 'Open' });
    });

    it('replaces a null by the default and drops a null that has none', () => {
      const obj: Obj = { spec: { states: [{ preset: 'a', severity: null }], suspend: null, nodeNames: null } };
      validator('NodeProfile').applyDefaults(obj);
      const spec = obj['spec'] as Obj;
      expect(spec['suspend']).to.equal(false);
      expect(spec['states']).to.deep.equal([{ preset: 'a' }]);
      expect(spec).to.not.have.property('nodeNames');
    });

    it('gives every object its own copy of a default', () => {
      const a: Obj = { spec: { states: [{ preset: 'a' }] } };
      const b: Obj = { spec: { states: [{ preset: 'a' }] } };
      validator('NodeProfile').applyDefaults(a);
      validator('NodeProfile').applyDefaults(b);
      ((a['spec'] as Obj)['rollout'] as Obj)['canary'] = 9;
      expect(((b['spec'] as Obj)['rollout'] as Obj)['canary']).to.equal(1);
      const again: Obj = { spec: { states: [{ preset: 'a' }] } };
      validator('NodeProfile').applyDefaults(again);
      expect(((again['spec'] as Obj)['rollout'] as Obj)['canary']).to.equal(1);
    });
  });

  describe('unknownFields', () => {
    it('reports every undeclared field with its full path, in lists and maps too', () => {
      const obj = EXAMPLES.NodeProfile();
      const spec = obj['spec'] as Obj;
      obj['bogus'] = 1;
      spec['replicas'] = 3;
      ((spec['states'] as Obj[])[1]!)['bogus'] = true;
      (spec['remediation'] as Obj)['extra'] = 'x';
      ((spec['nodeSelector'] as Obj)['matchExpressions'] as Obj[])[0]!['op'] = 'In';
      expect(validator('NodeProfile').unknownFields(obj)).to.deep.equal([
        'spec.nodeSelector.matchExpressions[0].op',
        'spec.states[1].bogus',
        'spec.remediation.extra',
        'spec.replicas',
        'bogus',
      ]);
    });

    it('uses brackets for map keys', () => {
      const obj = EXAMPLES.Node();
      ((obj['status'] as Obj)['probes'] as Record<string, Obj>)['sshd.passwordAuthentication']!['extra'] = 1;
      const unknown = validator('Node').unknownFields(obj);
      expect(unknown).to.deep.equal(['status.probes[sshd.passwordAuthentication].extra']);
      expect(unknownFieldCauses(unknown)).to.deep.equal([
        { field: 'status.probes[sshd.passwordAuthentication].extra', reason: 'FieldValueUnknown', message: 'field not declared in schema' },
      ]);
    });

    it('accepts anything under x-kubernetes-preserve-unknown-fields and ignores metadata', () => {
      const obj = EXAMPLES.Preset();
      const spec = obj['spec'] as Obj;
      spec['params'] = { type: 'object', anything: { nested: [1, { deep: true }] } };
      spec['check'] = { probes: { 'a.b': { any: 'thing' } } };
      obj['metadata'] = { name: 'p', whatever: 1 };
      expect(validator('Preset').unknownFields(obj)).to.deep.equal([]);
      const event = EXAMPLES.Event();
      event['status'] = {};
      event['spec'] = {};
      expect(validator('Event').unknownFields(event)).to.deep.equal(['status', 'spec']);
    });
  });

  describe('validate', () => {
    it('reports a missing required field with its path', () => {
      const obj = EXAMPLES.Finding();
      delete (obj['spec'] as Obj)['nodeName'];
      expect(causes('Finding', obj)).to.deep.equal([{ field: 'spec.nodeName', reason: 'FieldValueRequired', message: 'Required value' }]);
      const noSpec: Obj = { apiVersion: API, kind: 'Run', metadata: { name: 'r' } };
      expect(causes('Run', noSpec)).to.deep.equal([{ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' }]);
    });

    it('reports required fields inside list items with their index', () => {
      const obj = EXAMPLES.NodeProfile();
      (obj['spec'] as Obj)['states'] = [{ preset: 'a' }, { name: 'b' }, { with: {} }];
      expect(causes('NodeProfile', obj)).to.deep.equal([
        { field: 'spec.states[1].preset', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'spec.states[2].preset', reason: 'FieldValueRequired', message: 'Required value' },
      ]);
    });

    it('reports an unsupported enum value with the supported ones', () => {
      const obj = EXAMPLES.Finding();
      (obj['spec'] as Obj)['severity'] = 'HIGH';
      expect(causes('Finding', obj)).to.deep.equal([{
        field: 'spec.severity', reason: 'FieldValueNotSupported', message: 'Unsupported value: "HIGH": supported values: "INFO", "WARN", "CRITICAL"',
      }]);
      const profile = EXAMPLES.NodeProfile();
      (profile['spec'] as Obj)['remediation'] = { mode: 'yolo', autoApproveUpTo: 'DANGEROUS' };
      expect(causes('NodeProfile', profile)).to.deep.equal([
        { field: 'spec.remediation.mode', reason: 'FieldValueNotSupported', message: 'Unsupported value: "yolo": supported values: "observe", "approve", "auto"' },
        { field: 'spec.remediation.autoApproveUpTo', reason: 'FieldValueNotSupported', message: 'Unsupported value: "DANGEROUS": supported values: "SAFE", "CONFIRM"' },
      ]);
    });

    it('reports a wrong type naming the expected type', () => {
      const obj = EXAMPLES.Node();
      (obj['spec'] as Obj)['paused'] = 'yes';
      ((obj['status'] as Obj)['inventory'] as Obj)['cpuCount'] = 2.5;
      (obj['status'] as Obj)['conditions'] = 'Ready';
      expect(causes('Node', obj)).to.deep.equal([
        { field: 'spec.paused', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": must be of type boolean' },
        { field: 'status.conditions', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": must be of type array' },
        { field: 'status.inventory.cpuCount', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "number": must be of type integer' },
      ]);
      const labels = EXAMPLES.NodeProfile();
      ((labels['spec'] as Obj)['nodeSelector'] as Obj)['matchLabels'] = { role: 1 };
      expect(causes('NodeProfile', labels)).to.deep.equal([
        { field: 'spec.nodeSelector.matchLabels[role]', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": must be of type string' },
      ]);
    });

    it('checks date-time as Kubernetes does (RFC 3339)', () => {
      for (const good of [T, '2026-11-21T10:00:00.123456789Z', '2026-11-21t10:00:00z', '2026-11-21T10:00:00+05:30', '2024-02-29T23:59:59-01:00']) {
        expect(isRfc3339DateTime(good), good).to.equal(true);
        const obj = EXAMPLES.Finding();
        (obj['status'] as Obj)['firstSeen'] = good;
        expect(causes('Finding', obj), good).to.deep.equal([]);
      }
      for (const bad of ['2026-11-21', '2026-11-21 10:00:00Z', '2026-11-21T10:00Z', '2026-11-21T10:00:00', '2026-02-30T10:00:00Z',
        '2025-02-29T10:00:00Z', '2026-11-21T24:00:00Z', '2026-11-21T10:60:00Z', '2026-13-01T10:00:00Z', '2026-11-21T10:00:00+0100', 'yesterday']) {
        expect(isRfc3339DateTime(bad), bad).to.equal(false);
        const obj = EXAMPLES.Finding();
        (obj['status'] as Obj)['firstSeen'] = bad;
        expect(causes('Finding', obj), bad).to.deep.equal([{
          field: 'status.firstSeen', reason: 'FieldValueInvalid', message: `Invalid value: "${bad}": must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)`,
        }]);
      }
    });

    it('checks patterns, bounds and lengths', () => {
      const obj = EXAMPLES.Finding();
      const spec = obj['spec'] as Obj;
      spec['type'] = 'TLS';
      spec['key'] = 'k'.repeat(1025);
      expect(causes('Finding', obj)).to.deep.equal([
        { field: 'spec.type', reason: 'FieldValueInvalid', message: "Invalid value: \"TLS\": must match the regular expression '^[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)+$'" },
        { field: 'spec.key', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 1024 characters' },
      ]);
      const profile = EXAMPLES.NodeProfile();
      (profile['spec'] as Obj)['rollout'] = { canary: -1, maxParallel: 0, maxFailures: 0 };
      (profile['spec'] as Obj)['maintenanceWindows'] = [{ schedule: 'daily', duration: '2 hours' }];
      expect(causes('NodeProfile', profile).map((c) => [c.field, c.reason, c.message])).to.deep.equal([
        ['spec.rollout.canary', 'FieldValueInvalid', 'Invalid value: -1: must be greater than or equal to 0'],
        ['spec.rollout.maxParallel', 'FieldValueInvalid', 'Invalid value: 0: must be greater than or equal to 1'],
        ['spec.maintenanceWindows[0].schedule', 'FieldValueInvalid', "Invalid value: \"daily\": must match the regular expression '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\\S+(\\s+\\S+){4})$'"],
        ['spec.maintenanceWindows[0].duration', 'FieldValueInvalid', "Invalid value: \"2 hours\": must match the regular expression '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$'"],
      ]);
      const empty = EXAMPLES.NodeProfile();
      (empty['spec'] as Obj)['states'] = [];
      expect(causes('NodeProfile', empty)).to.deep.equal([{ field: 'spec.states', reason: 'FieldValueInvalid', message: 'Invalid value: []: must have at least 1 items' }]);
    });

    it('reports duplicate entries of set and map lists', () => {
      const node = EXAMPLES.Node();
      const c = { type: 'Ready', status: 'True', reason: 'NodeReady', message: '', lastTransitionTime: T };
      (node['status'] as Obj)['conditions'] = [c, { ...c, status: 'False', reason: 'NodeLost' }];
      expect(causes('Node', node)).to.deep.equal([{ field: 'status.conditions[1]', reason: 'FieldValueDuplicate', message: 'Duplicate value: {"type":"Ready"}' }]);
      const run = EXAMPLES.Run();
      (run['spec'] as Obj)['approvedBy'] = ['alice', 'bob', 'alice'];
      expect(causes('Run', run)).to.deep.equal([{ field: 'spec.approvedBy[2]', reason: 'FieldValueDuplicate', message: 'Duplicate value: "alice"' }]);
    });

    it('never reports an empty field path', () => {
      const all: Cause[] = [];
      for (const kind of Object.keys(EXAMPLES)) {
        all.push(...createValidator(def(kind)).validate({ apiVersion: 1, kind: [], metadata: 'x', spec: 7, status: 'y', involvedObject: {}, type: 'Odd' }));
      }
      expect(all.length).to.be.greaterThan(10);
      expect(all.filter((c) => c.field === '')).to.deep.equal([]);
      expect(all.find((c) => c.field === 'metadata')).to.deep.equal({ field: 'metadata', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": must be of type object' });
    });
  });

  describe('validateObjectMeta', () => {
    const create = { namespaced: true, isCreate: true };
    const nameCauses = (name: unknown): Cause[] => validateObjectMeta({ name, namespace: 'acme' }, create);

    it('rejects names that are not DNS-1123 subdomains', () => {
      for (const bad of ['../x', 'a/b', 'a\u0000b', 'A', '-a', 'a-', 'a..b', '.a', 'a_b', 'a b', '%2e', 'é']) {
        const got = nameCauses(bad);
        expect(got.map((c) => [c.field, c.reason]), JSON.stringify(bad)).to.deep.equal([['metadata.name', 'FieldValueInvalid']]);
        expect(got[0]!.message).to.equal(`Invalid value: ${JSON.stringify(bad)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric `
          + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
          + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
      }
      expect(nameCauses('x'.repeat(300))).to.deep.equal([{ field: 'metadata.name', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 253 characters' }]);
      expect(nameCauses(42)).to.deep.equal([{ field: 'metadata.name', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": must be of type string' }]);
    });

    it('accepts good names', () => {
      for (const good of ['a', '0', 'web-1', 'db.example.com', '1-2.3-4', 'x'.repeat(253), `${'a'.repeat(63)}.${'b'.repeat(63)}`]) {
        expect(nameCauses(good), good).to.deep.equal([]);
        expect(isDns1123Subdomain(good), good).to.equal(true);
      }
    });

    it('requires name, or generateName on create, and checks the generated name', () => {
      expect(validateObjectMeta({ namespace: 'acme' }, create)).to.deep.equal([
        { field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' },
      ]);
      expect(validateObjectMeta(undefined, create).map((c) => c.field)).to.deep.equal(['metadata.name', 'metadata.namespace']);
      expect(validateObjectMeta({ generateName: 'web-', namespace: 'acme' }, create)).to.deep.equal([]);
      expect(validateObjectMeta({ generateName: 'web-', namespace: 'acme' }, { namespaced: true, isCreate: false })).to.deep.equal([
        { field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name is required' },
      ]);
      for (const bad of ['Web-', '-', '../', 'a/']) {
        expect(validateObjectMeta({ generateName: bad, namespace: 'acme' }, create).map((c) => [c.field, c.reason]), bad)
          .to.deep.equal([['metadata.generateName', 'FieldValueInvalid']]);
      }
      expect(validateObjectMeta({ generateName: 'x'.repeat(249), namespace: 'acme' }, create)).to.deep.equal([
        { field: 'metadata.generateName', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 248 characters' },
      ]);
    });

    it('requires a DNS-1123 label namespace on namespaced kinds and forbids one on cluster-scoped kinds', () => {
      expect(validateObjectMeta({ name: 'a' }, create)).to.deep.equal([{ field: 'metadata.namespace', reason: 'FieldValueRequired', message: 'Required value' }]);
      expect(validateObjectMeta({ name: 'a', namespace: 'Acme' }, create).map((c) => [c.field, c.reason])).to.deep.equal([['metadata.namespace', 'FieldValueInvalid']]);
      expect(validateObjectMeta({ name: 'a', namespace: 'a.b' }, create).map((c) => [c.field, c.reason])).to.deep.equal([['metadata.namespace', 'FieldValueInvalid']]);
      expect(validateObjectMeta({ name: 'a', namespace: 'n'.repeat(64) }, create)).to.deep.equal([
        { field: 'metadata.namespace', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 63 characters' },
      ]);
      expect(validateObjectMeta({ name: 'a', namespace: 'n'.repeat(63) }, create)).to.deep.equal([]);
      expect(validateObjectMeta({ name: 'ssh-hardening' }, { namespaced: false, isCreate: true })).to.deep.equal([]);
      expect(validateObjectMeta({ name: 'ssh-hardening', namespace: 'acme' }, { namespaced: false, isCreate: true })).to.deep.equal([
        { field: 'metadata.namespace', reason: 'FieldValueForbidden', message: 'Forbidden: not allowed on this type' },
      ]);
      expect(isDns1123Label('acme')).to.equal(true);
      expect(isDns1123Label('a.b')).to.equal(false);
    });

    it('checks label keys and values', () => {
      const labels = (l: unknown): Cause[] => validateObjectMeta({ name: 'a', namespace: 'acme', labels: l }, create);
      expect(labels({ app: 'web', 'hyprbox.io/role': 'db', 'a.b-c_d': 'A.b-c_1', empty: '', v: 'x'.repeat(63), [`${'p'.repeat(253)}/${'n'.repeat(63)}`]: 'ok' })).to.deep.equal([]);
      for (const badKey of ['-app', 'app-', 'a/b/c', '/app', 'app/', 'Example.com/app', 'a b', 'k'.repeat(64), `${'p'.repeat(254)}/n`]) {
        expect(labels({ [badKey]: 'v' }).map((c) => [c.field, c.reason]), badKey).to.deep.equal([['metadata.labels', 'FieldValueInvalid']]);
        expect(isQualifiedName(badKey), badKey).to.equal(false);
      }
      expect(labels({ '-app': 'v' })[0]!.message).to.equal(
        "Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        + "alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      );
      expect(labels({ app: 'a b' }).map((c) => [c.field, c.reason])).to.deep.equal([['metadata.labels[app]', 'FieldValueInvalid']]);
      expect(labels({ app: '-a' }).map((c) => [c.field, c.reason])).to.deep.equal([['metadata.labels[app]', 'FieldValueInvalid']]);
      expect(labels({ app: 'x'.repeat(64) })).to.deep.equal([{ field: 'metadata.labels[app]', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 63 characters' }]);
      expect(labels({ app: 1 })).to.deep.equal([{ field: 'metadata.labels[app]', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": must be of type string' }]);
      expect(labels(['app'])).to.deep.equal([{ field: 'metadata.labels', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "array": must be of type object' }]);
      expect(labels(null)).to.deep.equal([]);
      expect(isLabelValue('')).to.equal(true);
      expect(isLabelValue('a_b')).to.equal(true);
      expect(isLabelValue('_a')).to.equal(false);
    });

    it('checks annotation keys and their total size', () => {
      const ann = (a: unknown): Cause[] => validateObjectMeta({ name: 'a', namespace: 'acme', annotations: a }, create);
      expect(ann({ 'Example.com/Note': 'any value, with spaces: and JSON {"a":1}', 'kubectl.kubernetes.io/last-applied-configuration': '{}' })).to.deep.equal([]);
      expect(ann({ 'a b': 'v' }).map((c) => [c.field, c.reason])).to.deep.equal([['metadata.annotations', 'FieldValueInvalid']]);
      expect(ann({ note: 5 })).to.deep.equal([{ field: 'metadata.annotations[note]', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "integer": must be of type string' }]);
      expect(ann({ big: 'x'.repeat(256 * 1024 - 3) })).to.deep.equal([]);
      expect(ann({ big: 'x'.repeat(256 * 1024 - 2) })).to.deep.equal([
        { field: 'metadata.annotations', reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes' },
      ]);
    });

    it('checks finalizers, owner references and the types of the other fields', () => {
      const meta = (m: Obj): Array<[string, string]> => validateObjectMeta({ name: 'a', namespace: 'acme', ...m }, create).map((c) => [c.field, c.reason]);
      expect(meta({ finalizers: ['hyprbox.io/cleanup', 'foregroundDeletion'] })).to.deep.equal([]);
      expect(meta({ finalizers: ['hyprbox.io/cleanup', 'bad finalizer', 'hyprbox.io/cleanup', 3] })).to.deep.equal([
        ['metadata.finalizers[1]', 'FieldValueInvalid'],
        ['metadata.finalizers[2]', 'FieldValueDuplicate'],
        ['metadata.finalizers[3]', 'FieldValueTypeInvalid'],
      ]);
      expect(meta({ finalizers: 'x' })).to.deep.equal([['metadata.finalizers', 'FieldValueTypeInvalid']]);
      const ref = { apiVersion: API, kind: 'NodeProfile', name: 'db', uid: 'u1', controller: true };
      expect(meta({ ownerReferences: [ref] })).to.deep.equal([]);
      expect(meta({ ownerReferences: [{ ...ref, uid: '' }, { ...ref, controller: 'yes' }] })).to.deep.equal([
        ['metadata.ownerReferences[0].uid', 'FieldValueRequired'],
        ['metadata.ownerReferences[1].controller', 'FieldValueTypeInvalid'],
      ]);
      expect(meta({ ownerReferences: [ref, { ...ref, uid: 'u2' }] })).to.deep.equal([['metadata.ownerReferences', 'FieldValueInvalid']]);
      expect(meta({ creationTimestamp: null, uid: 'u', resourceVersion: '12', generation: 3, deletionTimestamp: T, managedFields: [] })).to.deep.equal([]);
      expect(meta({ uid: 1, resourceVersion: 12, generation: -1, creationTimestamp: 'now', deletionGracePeriodSeconds: 1.5, managedFields: {} })).to.deep.equal([
        ['metadata.uid', 'FieldValueTypeInvalid'],
        ['metadata.resourceVersion', 'FieldValueTypeInvalid'],
        ['metadata.creationTimestamp', 'FieldValueInvalid'],
        ['metadata.generation', 'FieldValueInvalid'],
        ['metadata.deletionGracePeriodSeconds', 'FieldValueTypeInvalid'],
        ['metadata.managedFields', 'FieldValueTypeInvalid'],
      ]);
      expect(validateObjectMeta('x', create)).to.deep.equal([{ field: 'metadata', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": must be of type object' }]);
    });
  });
});
