// The `labelSelector` and `fieldSelector` of a request's query as one predicate, for every list and watch
// (resources, CRDs, the core Events view). A selector that cannot be parsed is a 400 naming its fault.
import { badRequest } from './errors.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';

type Selectable = { metadata: { labels?: Record<string, string> | unknown } };

export function querySelector(query: Record<string, unknown>, fields: readonly string[]): (obj: Selectable) => boolean {
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  try {
    const ls = text(query.labelSelector);
    const fs = text(query.fieldSelector);
    const labels = ls ? parseLabelSelector(ls) : undefined;
    const selected = fs ? parseFieldSelector(fs, fields) : undefined;
    return (obj) =>
      (!labels || matchesLabels(labels, obj.metadata.labels as Record<string, string> | undefined)) &&
      (!selected || matchesFields(selected, obj));
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}
