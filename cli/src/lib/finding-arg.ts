// `finding/<name>` or a bare name, for the commands that act on findings.
import { CliError, EXIT } from './errors.js';

export function findingArg(target: string): string {
  const m = /^(?:(finding|findings|fi|find)\/)?([^/]+)$/.exec(target);
  if (!m) throw new CliError(`"${target}": name a finding as finding/<name>`, EXIT.usage);
  return m[2]!;
}
