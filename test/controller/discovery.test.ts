import { expect } from 'chai';
import {
  apiextensionsResources,
  reviewResources,
  apiGroupList,
  coreApiVersions,
  coreV1Resources,
  groupResources,
  versionInfo,
} from '@hyprbox/controller/api/discovery';
import { DEFS, NODE, PROFILE } from './api-fixtures.js';

describe('controller/api/discovery', () => {
  it('versionInfo claims Kubernetes 1.32 with a semver gitVersion', () => {
    const v = versionInfo('0.1.0');
    expect(v.major).to.equal('1');
    expect(v.minor).to.equal('32');
    expect(v.gitVersion).to.equal('v1.32.0-hyprbox.0.1.0');
    // the semver grammar k8s.io/apimachinery/pkg/util/version.ParseSemantic accepts
    expect(v.gitVersion).to.match(/^v\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/);
    expect(v.platform).to.match(/^[a-z0-9]+\/[a-z0-9]+$/);
    expect(v.goVersion).to.equal(`node${process.versions.node}`);
    expect(Object.keys(v)).to.deep.equal(['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']);
    expect(versionInfo('v2.0.0+build.7').gitVersion).to.equal('v1.32.0-hyprbox.2.0.0-build.7');
    expect(versionInfo('0.1.0', { gitCommit: 'abc', buildDate: '2026-01-02T03:04:05Z' })).to.include({ gitCommit: 'abc', gitTreeState: 'clean', buildDate: '2026-01-02T03:04:05Z' });
  });

  it('GET /api', () => {
    expect(coreApiVersions('10.0.0.1:6443')).to.deep.equal({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  it('GET /api/v1 serves namespaces only', () => {
    expect(coreV1Resources()).to.deep.equal({
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] },
      ],
    });
  });

  it('GET /apis lists hyprbox.io first, then apiextensions.k8s.io and the self-review groups', () => {
    const expected = {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        {
          name: 'hyprbox.io',
          versions: [{ groupVersion: 'hyprbox.io/v1alpha1', version: 'v1alpha1' }],
          preferredVersion: { groupVersion: 'hyprbox.io/v1alpha1', version: 'v1alpha1' },
        },
        {
          name: 'apiextensions.k8s.io',
          versions: [{ groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' }],
          preferredVersion: { groupVersion: 'apiextensions.k8s.io/v1', version: 'v1' },
        },
        ...['authorization.k8s.io', 'authentication.k8s.io'].map((name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        })),
      ],
    };
    expect(apiGroupList(DEFS)).to.deep.equal(expected);
    expect(apiGroupList([])).to.deep.equal(expected);
  });

  it('GET /apis/hyprbox.io/v1alpha1 lists each kind (sorted by plural) and its status subresource', () => {
    const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    expect(groupResources([NODE, PROFILE])).to.deep.equal({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'hyprbox.io/v1alpha1',
      resources: [
        { name: 'nodeprofiles', singularName: 'nodeprofile', namespaced: true, kind: 'NodeProfile', verbs: all, shortNames: ['np'] },
        { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: all, shortNames: ['no'], categories: ['hyprbox'] },
        { name: 'nodes/status', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'patch', 'update'] },
      ],
    });
  });

  it('GET /apis/hyprbox.io/v1alpha1 leaves out other group versions', () => {
    const other = { ...NODE, group: 'example.com' };
    expect(groupResources([other, PROFILE]).resources.map((r) => r.name)).to.deep.equal(['nodeprofiles']);
  });

  it('GET /apis/authorization.k8s.io/v1 and authentication.k8s.io/v1 serve the self reviews, create only', () => {
    expect(reviewResources('authorization.k8s.io')?.resources.map((r) => [r.name, r.kind, r.verbs.join()])).to.deep.equal([
      ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'create'],
      ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', 'create'],
    ]);
    expect(reviewResources('authentication.k8s.io')?.groupVersion).to.equal('authentication.k8s.io/v1');
    expect(reviewResources('hyprbox.io')).to.equal(undefined);
  });

  it('GET /apis/apiextensions.k8s.io/v1 serves customresourcedefinitions read-only', () => {
    expect(apiextensionsResources()).to.deep.equal({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'apiextensions.k8s.io/v1',
      resources: [
        {
          name: 'customresourcedefinitions',
          singularName: 'customresourcedefinition',
          namespaced: false,
          kind: 'CustomResourceDefinition',
          verbs: ['get', 'list', 'watch'],
          shortNames: ['crd', 'crds'],
        },
      ],
    });
  });
});
