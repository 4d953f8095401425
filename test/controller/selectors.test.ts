import { expect } from 'chai';
import {
  SelectorError,
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '@hyprbox/controller/api/selectors';

describe('controller/api/selectors', () => {
  describe('parseLabelSelector', () => {
    // input -> canonical form (requirements sorted by key, values sorted and de-duplicated)
    const cases: Array<[string, string]> = [
      ['', ''],
      ['env=prod', 'env=prod'],
      ['env==prod', 'env==prod'],
      ['env!=prod', 'env!=prod'],
      ['env in (prod,dev)', 'env in (dev,prod)'],
      ['env notin (prod, dev, prod)', 'env notin (dev,prod)'],
      ['env', 'env'],
      ['!env', '!env'],
      ['  tier = web ,  env   in(a)  ', 'env in (a),tier=web'],
      ['env=', 'env='],
      ['env in (a,)', 'env in (,a)'],
      ['example.com/role=db,app.kubernetes.io/name=x', 'app.kubernetes.io/name=x,example.com/role=db'],
      ['in=notin', 'in=notin'],
      ['cores>4,ram<-2', 'cores>4,ram<-2'],
      ['a,b,!c', 'a,b,!c'],
    ];
    for (const [input, canonical] of cases) {
      it(`parses ${JSON.stringify(input)}`, () => {
        expect(formatLabelSelector(parseLabelSelector(input))).to.equal(canonical);
      });
    }

    it('returns the structured requirements', () => {
      expect(parseLabelSelector('b in (y,x), a!=1, !c, d')).to.deep.equal({
        requirements: [
          { key: 'a', operator: '!=', values: ['1'] },
          { key: 'b', operator: 'in', values: ['x', 'y'] },
          { key: 'c', operator: '!', values: [] },
          { key: 'd', operator: 'exists', values: [] },
        ],
      });
    });

    const errors: Array<[string, string]> = [
      ['env in (a', `unable to parse label selector "env in (a": found end of string at position 9, expected: ',' or ')' in the values of "env"`],
      ['env in ()', `unable to parse label selector "env in ()": for 'in', 'notin' operators, values set can't be empty (key "env")`],
      ['env in a', `unable to parse label selector "env in a": found 'a' at position 7, expected: '(' after 'in'`],
      ['env=a,', `unable to parse label selector "env=a,": found end of string, expected: a requirement after ','`],
      [',env', `unable to parse label selector ",env": found ',' at position 0, expected: identifier`],
      ['env=a b', `unable to parse label selector "env=a b": found 'b' at position 6, expected: ',' or end of string`],
      ['!env=a', `unable to parse label selector "!env=a": found '=' at position 4, expected: ',' or end of string after '!env'`],
      ['env=(a)', `unable to parse label selector "env=(a)": found '(' at position 4, expected: a value after "env="`],
      ['env ~ a', `unable to parse label selector "env ~ a": found '~' at position 4 after key "env", expected one of: =, ==, !=, in, notin, >, <, ',' or end of string`],
      ['cores>four', `unable to parse label selector "cores>four": for 'Gt', 'Lt' operators, the value must be an integer (key "cores", value "four")`],
      ['-env=a', `unable to parse label selector "-env=a": invalid label key "-env": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')`],
      ['a/b/c=d', `unable to parse label selector "a/b/c=d": invalid label key "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
      ['Example.com/x=1', `unable to parse label selector "Example.com/x=1": invalid label key "Example.com/x": prefix part must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')`],
      [`k=${'v'.repeat(64)}`, `unable to parse label selector "k=${'v'.repeat(64)}": invalid label value "${'v'.repeat(64)}" for key "k": must be no more than 63 characters`],
      ['k=a_', `unable to parse label selector "k=a_": invalid label value "a_" for key "k": a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')`],
      [`${'k'.repeat(64)}=v`, `unable to parse label selector "${'k'.repeat(64)}=v": invalid label key "${'k'.repeat(64)}": name part must be no more than 63 characters`],
    ];
    for (const [input, message] of errors) {
      it(`rejects ${JSON.stringify(input.length > 30 ? input.slice(0, 30) + '…' : input)}`, () => {
        expect(() => parseLabelSelector(input)).to.throw(SelectorError).with.property('message', message);
      });
    }
  });

  describe('matchesLabels', () => {
    const labelSets: Array<Record<string, string> | undefined> = [
      undefined,
      {},
      { env: 'prod' },
      { env: 'dev', tier: 'web' },
      { env: '', cores: '8' },
      { cores: 'x' },
    ];
    // selector -> expected match for each label set above
    const truth: Array<[string, boolean[]]> = [
      ['', [true, true, true, true, true, true]],
      ['env=prod', [false, false, true, false, false, false]],
      ['env==prod', [false, false, true, false, false, false]],
      ['env!=prod', [true, true, false, true, true, true]],
      ['env in (prod,dev)', [false, false, true, true, false, false]],
      ['env notin (prod,dev)', [true, true, false, false, true, true]],
      ['env', [false, false, true, true, true, false]],
      ['!env', [true, true, false, false, false, true]],
      ['env=', [false, false, false, false, true, false]],
      ['env,tier', [false, false, false, true, false, false]],
      ['env in (dev),tier=web', [false, false, false, true, false, false]],
      ['cores>4', [false, false, false, false, true, false]],
      ['cores<4', [false, false, false, false, false, false]],
      ['cores<9', [false, false, false, false, true, false]],
    ];
    for (const [selector, expected] of truth) {
      it(`${JSON.stringify(selector)} matches ${JSON.stringify(expected)}`, () => {
        const sel = parseLabelSelector(selector);
        expect(labelSets.map((ls) => matchesLabels(sel, ls))).to.deep.equal(expected);
      });
    }
  });

  describe('labelSelectorFromObject', () => {
    it('null and undefined match nothing; {} matches everything', () => {
      expect(matchesLabels(labelSelectorFromObject(null), {})).to.equal(false);
      expect(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' })).to.equal(false);
      expect(matchesLabels(labelSelectorFromObject({}), {})).to.equal(true);
      expect(matchesLabels(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }), { a: 'b' })).to.equal(true);
    });

    it('gives the same selector as the string form', () => {
      const obj = labelSelectorFromObject({
        matchLabels: { tier: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev'] },
          { key: 'zone', operator: 'NotIn', values: ['b'] },
          { key: 'gpu', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      });
      expect(obj).to.deep.equal(parseLabelSelector('tier=web,env in (prod,dev),zone notin (b),gpu,!canary'));
      expect(matchesLabels(obj, { tier: 'web', env: 'dev', gpu: '' })).to.equal(true);
      expect(matchesLabels(obj, { tier: 'web', env: 'dev', gpu: '', canary: 'y' })).to.equal(false);
      expect(matchesLabels(obj, { tier: 'web', env: 'dev', zone: 'b', gpu: '' })).to.equal(false);
      expect(matchesLabels(obj, { tier: 'web', env: 'qa', gpu: '' })).to.equal(false);
    });

    const errors: Array<[Parameters<typeof labelSelectorFromObject>[0], string]> = [
      [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, `invalid label selector: matchExpressions[0]: for 'in', 'notin' operators, values set can't be empty (key "a")`],
      [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, `invalid label selector: matchExpressions[0]: values set must be empty for exists and does not exist (key "a")`],
      [{ matchExpressions: [{ key: 'a', operator: 'Equals' as 'In', values: ['x'] }] }, `invalid label selector: matchExpressions[0]: "Equals" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`],
      [{ matchLabels: { 'bad key': 'x' } }, `invalid label selector: matchLabels["bad key"]: invalid label key "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')`],
      [{ matchLabels: { k: 'no spaces' } }, `invalid label selector: matchLabels["k"]: invalid label value "no spaces" for key "k": a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')`],
    ];
    for (const [input, message] of errors) {
      it(`rejects ${JSON.stringify(input)}`, () => {
        expect(() => labelSelectorFromObject(input)).to.throw(SelectorError).with.property('message', message);
      });
    }
  });

  describe('field selectors', () => {
    const allowed = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.ready'];
    const objs = [
      { metadata: { name: 'a', namespace: 'default' }, spec: { nodeName: 'n1' }, status: { ready: true } },
      { metadata: { name: 'b', namespace: 'ops' }, spec: { nodeName: 'n2' } },
      { metadata: { name: 'c,d' } },
    ];
    const truth: Array<[string, boolean[]]> = [
      ['', [true, true, true]],
      ['metadata.name=a', [true, false, false]],
      ['metadata.name==b', [false, true, false]],
      ['metadata.name!=a', [false, true, true]],
      ['metadata.namespace=default,spec.nodeName=n1', [true, false, false]],
      ['metadata.namespace=', [false, false, true]],
      ['spec.nodeName!=n1', [false, true, true]],
      ['metadata.name=c\\,d', [false, false, true]],
      ['status.ready=true', [true, false, false]],
    ];
    for (const [selector, expected] of truth) {
      it(`${JSON.stringify(selector)} matches ${JSON.stringify(expected)}`, () => {
        const sel = parseFieldSelector(selector, allowed);
        expect(objs.map((o) => matchesFields(sel, o))).to.deep.equal(expected);
      });
    }

    it('parses operators and escapes', () => {
      expect(parseFieldSelector('metadata.name!=x\\=y\\\\z,spec.nodeName==n', allowed)).to.deep.equal({
        requirements: [
          { field: 'metadata.name', operator: '!=', value: 'x=y\\z' },
          { field: 'spec.nodeName', operator: '==', value: 'n' },
        ],
      });
    });

    const errors: Array<[string, string]> = [
      ['spec.other=x', 'field label not supported: spec.other'],
      ['metadata.name=a,metadata.uid=u', 'field label not supported: metadata.uid'],
      ['metadata.name', `invalid field selector "metadata.name": can't understand 'metadata.name' (expected field=value, field==value or field!=value)`],
      ['=x', `invalid field selector "=x": missing field name in '=x'`],
      ['metadata.name=a=b', `invalid field selector "metadata.name=a=b": unescaped character '=' in value "a=b"`],
      ['metadata.name=a\\b', `invalid field selector "metadata.name=a\\b": invalid escape sequence '\\b' in value "a\\b"`],
    ];
    for (const [input, message] of errors) {
      it(`rejects ${JSON.stringify(input)}`, () => {
        expect(() => parseFieldSelector(input, allowed)).to.throw(SelectorError).with.property('message', message);
      });
    }
  });
});
