// Shared by the access, audit, preset and tooling CLI tests: run the real hyprbox against a test controller,
// expect an exit code (the message shows the output when it differs), and make users with a role and token
// through the CLI itself.
import { expect } from 'chai';
import { hyprbox } from '../lib/cli.js';
import type { CliOptions, CliResult } from '../lib/cli.js';
import type { TestController } from '../lib/controller.js';

export async function expectExit(c: TestController, code: number, args: string[], o: CliOptions = {}): Promise<CliResult> {
  const r = await hyprbox(c.kubeconfig, args, o);
  expect(r.code, `hyprbox ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).to.equal(code);
  return r;
}

export const ok = (c: TestController, args: string[], o: CliOptions = {}): Promise<CliResult> => expectExit(c, 0, args, o);

/** Run as the holder of `token` instead of the admin of the kubeconfig. */
export const as = (token: string): CliOptions => ({ env: { HYPRBOX_TOKEN: token } });

/** Creates a user with one role (cluster-wide, or in `namespace`) and returns a fresh token of theirs. */
export async function userWithRole(c: TestController, name: string, role: string, namespace?: string): Promise<string> {
  await ok(c, ['user', 'create', name]);
  await ok(c, ['rolebinding', 'create', '--user', name, '--role', role, ...(namespace ? ['-n', namespace] : [])]);
  const r = await ok(c, ['token', 'create', '--user', name, '--json']);
  return (JSON.parse(r.stdout) as { status: { token: string } }).status.token;
}
