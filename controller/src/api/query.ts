// The query string of every API request. A parameter given twice is refused: taking either value silently
// could drop a labelSelector (and widen a deletecollection to everything) or a dryRun.
import { parse } from 'node:querystring';
import type { ParsedUrlQuery } from 'node:querystring';
import { badRequest } from './errors.js';

export function parseQueryOnce(text: string): ParsedUrlQuery {
  const query = parse(text);
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw badRequest(`query parameter "${name}" is given ${value.length} times; give it once`);
  }
  return query;
}
