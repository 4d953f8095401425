// Kubernetes label and field selectors: the `labelSelector` / `fieldSelector` query-string syntax
// (k8s.io/apimachinery labels.Parse and fields.ParseSelector) and the structured
// `{matchLabels, matchExpressions}` form, with the same matching semantics as the apiserver.

/** A selector that cannot be parsed or fails validation; the message names the offending part. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/**
 * The operators of a label requirement, spelled as k8s.io/apimachinery/pkg/selection spells them.
 * `=` and `==` are equivalent; `!=` and `notin` match objects that lack the key.
 */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and de-duplicated; empty for `exists` and `!`. */
  values: string[];
}

export interface LabelSelector {
  /** All must match (AND). No requirements: matches everything. */
  requirements: LabelRequirement[];
  /** True for the selector of a null structured selector, which matches nothing. */
  nothing?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Validation (k8s.io/apimachinery/pkg/util/validation)

const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const NAME_PART_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Problems with a label key (a qualified name: `[prefix/]name`), empty when valid. */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > DNS1123_SUBDOMAIN_MAX) errs.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
    else if (!DNS1123_SUBDOMAIN_RE.test(prefix)) {
      errs.push("prefix part must be a lowercase RFC 1123 subdomain: lowercase alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')");
    }
  } else {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX) errs.push(`name part must be no more than ${QUALIFIED_NAME_MAX} characters`);
  else if (!NAME_PART_RE.test(name)) {
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')");
  }
  return errs;
}

/** Problems with a label value, empty when valid (the empty string is a valid value). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(`must be no more than ${LABEL_VALUE_MAX} characters`);
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push("a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')");
  }
  return errs;
}

const INTEGER_RE = /^[+-]?\d+$/;

/** Builds one requirement, validating it as labels.NewRequirement does; `fail` gets the reason. */
function newRequirement(key: string, operator: LabelOperator, values: string[], fail: (why: string) => never): LabelRequirement {
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length > 0) fail(`invalid label key "${key}": ${keyErrs.join('; ')}`);
  const unique = [...new Set(values)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (unique.length === 0) fail(`for 'in', 'notin' operators, values set can't be empty (key "${key}")`);
      break;
    case '=':
    case '==':
    case '!=':
      if (unique.length !== 1) fail(`exact-match compatibility requires one single value (key "${key}")`);
      break;
    case 'exists':
    case '!':
      if (unique.length !== 0) fail(`values set must be empty for exists and does not exist (key "${key}")`);
      break;
    case 'gt':
    case 'lt':
      if (unique.length !== 1) fail(`for 'Gt', 'Lt' operators, exactly one value is required (key "${key}")`);
      if (!INTEGER_RE.test(unique[0] ?? '')) fail(`for 'Gt', 'Lt' operators, the value must be an integer (key "${key}", value "${unique[0] ?? ''}")`);
      return { key, operator, values: unique };
  }
  for (const v of unique) {
    const errs = labelValueErrors(v);
    if (errs.length > 0) fail(`invalid label value "${v}" for key "${key}": ${errs.join('; ')}`);
  }
  return { key, operator, values: unique };
}

// ---------------------------------------------------------------------------------------------
// Label selector string syntax (labels.Parse)

type TokenKind = 'id' | '!' | '!=' | '(' | ')' | ',' | '=' | '==' | '>' | '<' | 'in' | 'notin' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

function lex(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '!=' || two === '==') {
      tokens.push({ kind: two, text: two, pos: i });
      i += 2;
      continue;
    }
    if (SPECIAL.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, pos: i });
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && !SPECIAL.has(s[i] as string) && !/\s/.test(s[i] as string)) i++;
    const text = s.slice(start, i);
    tokens.push({ kind: text === 'in' ? 'in' : text === 'notin' ? 'notin' : 'id', text, pos: start });
  }
  tokens.push({ kind: 'end', text: '', pos: s.length });
  return tokens;
}

/**
 * Parses a label selector string such as `env=prod,tier in (web,api),!canary`.
 * The empty string selects everything. Throws SelectorError naming the offending part.
 */
export function parseLabelSelector(s: string): LabelSelector {
  const tokens = lex(s);
  let p = 0;
  const fail = (why: string): never => {
    throw new SelectorError(`unable to parse label selector "${s}": ${why}`);
  };
  const describe = (t: Token): string => (t.kind === 'end' ? 'end of string' : `'${t.text}'`);
  const peek = (): Token => tokens[p] as Token;
  const next = (): Token => tokens[p++] as Token;
  // In value position `in` and `notin` are ordinary identifiers.
  const isValue = (t: Token): boolean => t.kind === 'id' || t.kind === 'in' || t.kind === 'notin';

  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return { requirements };
  for (;;) {
    // key, or !key
    let t = next();
    let negated = false;
    if (t.kind === '!') {
      negated = true;
      t = next();
    }
    if (!isValue(t)) fail(`found ${describe(t)} at position ${t.pos}, expected: identifier${negated ? " after '!'" : ''}`);
    const key = t.text;
    const after = peek();
    if (negated || after.kind === 'end' || after.kind === ',') {
      if (negated && after.kind !== 'end' && after.kind !== ',') {
        fail(`found ${describe(after)} at position ${after.pos}, expected: ',' or end of string after '!${key}'`);
      }
      requirements.push(newRequirement(key, negated ? '!' : 'exists', [], fail));
    } else {
      const op = next();
      let operator: LabelOperator;
      switch (op.kind) {
        case '=': operator = '='; break;
        case '==': operator = '=='; break;
        case '!=': operator = '!='; break;
        case 'in': operator = 'in'; break;
        case 'notin': operator = 'notin'; break;
        case '>': operator = 'gt'; break;
        case '<': operator = 'lt'; break;
        default:
          return fail(`found ${describe(op)} at position ${op.pos} after key "${key}", expected one of: =, ==, !=, in, notin, >, <, ',' or end of string`);
      }
      const values: string[] = [];
      if (operator === 'in' || operator === 'notin') {
        const open = next();
        if (open.kind !== '(') fail(`found ${describe(open)} at position ${open.pos}, expected: '(' after '${operator}'`);
        // Identifiers separated by commas; empty elements are empty strings, as in k8s.
        let expectValue = true;
        for (;;) {
          const v = next();
          if (v.kind === ')') {
            if (expectValue && values.length > 0) values.push('');
            break;
          }
          if (v.kind === ',') {
            if (expectValue) values.push('');
            expectValue = true;
            continue;
          }
          if (isValue(v) && expectValue) {
            values.push(v.text);
            expectValue = false;
            continue;
          }
          fail(`found ${describe(v)} at position ${v.pos}, expected: ${expectValue ? "identifier, ',' or ')'" : "',' or ')'"} in the values of "${key}"`);
        }
      } else {
        const v = peek();
        if (v.kind === 'end' || v.kind === ',') values.push('');
        else if (isValue(v)) values.push(next().text);
        else fail(`found ${describe(v)} at position ${v.pos}, expected: a value after "${key}${op.text}"`);
      }
      requirements.push(newRequirement(key, operator, values, fail));
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') fail(`found ${describe(sep)} at position ${sep.pos}, expected: ',' or end of string`);
    const following = peek();
    if (following.kind === 'end') fail(`found end of string, expected: a requirement after ','`);
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements };
}

/** Whether the labels satisfy the selector (every requirement), as labels.Selector.Matches. */
export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  if (sel.nothing) return false;
  const ls = labels ?? {};
  return sel.requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(ls, r.key);
    const value = has ? ls[r.key] : undefined;
    switch (r.operator) {
      case '=':
      case '==':
      case 'in':
        return has && r.values.includes(value as string);
      case '!=':
      case 'notin':
        return !has || !r.values.includes(value as string);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !INTEGER_RE.test(value as string)) return false;
        const lhs = BigInt(value as string);
        const rhs = BigInt(r.values[0] as string);
        return r.operator === 'gt' ? lhs > rhs : lhs < rhs;
      }
    }
    return false;
  });
}

/** The canonical string form (requirements sorted by key), as labels.Selector.String. */
export function formatLabelSelector(sel: LabelSelector): string {
  return sel.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.values[0] ?? ''}`;
        case 'lt':
          return `${r.key}<${r.values[0] ?? ''}`;
        default:
          return `${r.key}${r.operator}${r.values[0] ?? ''}`;
      }
    })
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// Structured selectors (metav1.LabelSelector, as NodeProfiles carry them)

export interface LabelSelectorRequirementObject {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirementObject[];
}

const STRUCTURED_OPERATORS = new Map<string, LabelOperator>([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/**
 * Converts the structured form to a LabelSelector, as metav1.LabelSelectorAsSelector does:
 * null/undefined matches nothing, `{}` matches everything. Throws SelectorError naming the field.
 */
export function labelSelectorFromObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (obj === null || obj === undefined) return { requirements: [], nothing: true };
  const requirements: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(obj.matchLabels ?? {})) {
    const fail = (why: string): never => {
      throw new SelectorError(`invalid label selector: matchLabels[${JSON.stringify(k)}]: ${why}`);
    };
    if (typeof v !== 'string') fail(`value must be a string`);
    requirements.push(newRequirement(k, '=', [v], fail));
  }
  (obj.matchExpressions ?? []).forEach((e, i) => {
    const fail = (why: string): never => {
      throw new SelectorError(`invalid label selector: matchExpressions[${i}]: ${why}`);
    };
    const op = STRUCTURED_OPERATORS.get(e.operator);
    if (op === undefined) fail(`"${String(e.operator)}" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`);
    requirements.push(newRequirement(e.key, op as LabelOperator, e.values ?? [], fail));
  });
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements };
}

// ---------------------------------------------------------------------------------------------
// Field selectors (fields.ParseSelector)

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

export interface FieldSelector {
  /** All must match (AND). No requirements: matches everything. */
  requirements: FieldRequirement[];
}

/** The fields every resource supports in field selectors. */
export const DEFAULT_SELECTABLE_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** Splits on commas not preceded by a backslash escape. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  return terms;
}

/** Unescapes `\\`, `\,` and `\=` in a field selector value; other escapes and bare `,`/`=` are errors. */
function unescapeFieldValue(v: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === undefined) fail(`invalid escape sequence: a trailing '\\' in value "${v}"`);
      if (n !== '\\' && n !== ',' && n !== '=') fail(`invalid escape sequence '\\${n as string}' in value "${v}"`);
      out += n as string;
      i++;
    } else if (c === ',' || c === '=') {
      fail(`unescaped character '${c}' in value "${v}"`);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Parses a field selector (`f=v`, `f==v`, `f!=v`, comma-joined; `\,` `\=` `\\` escape values).
 * A field not in `allowed` throws SelectorError `field label not supported: <f>`.
 */
export function parseFieldSelector(s: string, allowed: readonly string[]): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term.trim() === '') continue;
    const fail = (why: string): never => {
      throw new SelectorError(`invalid field selector "${s}": ${why}`);
    };
    // The first operator outside an escape decides: != before ==, == before =.
    let at = -1;
    let operator: FieldOperator | undefined;
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') {
        i++;
        continue;
      }
      const two = term.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        at = i;
        operator = two;
        break;
      }
      if (term[i] === '=') {
        at = i;
        operator = '=';
        break;
      }
    }
    if (operator === undefined) fail(`can't understand '${term}' (expected field=value, field==value or field!=value)`);
    const field = term.slice(0, at).trim();
    if (field === '') fail(`missing field name in '${term}'`);
    if (!allowed.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    const value = unescapeFieldValue(term.slice(at + (operator as string).length), fail);
    requirements.push({ field, operator: operator as FieldOperator, value });
  }
  return { requirements };
}

/** The value of a dotted field path as a field selector sees it: missing or non-scalar is ''. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean' || typeof cur === 'bigint') return String(cur);
  return '';
}

/** Whether the object satisfies every field requirement. */
export function matchesFields(sel: FieldSelector, obj: unknown): boolean {
  return sel.requirements.every((r) => {
    const v = fieldValue(obj, r.field);
    return r.operator === '!=' ? v !== r.value : v === r.value;
  });
}
