// Runs the real `hyprbox` binary (cli/bin/run.js) against a test controller, as a user's shell would.
import { spawn } from 'node:child_process';
import { repoPath } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const HYPRBOX_BIN = repoPath('cli', 'bin', 'run.js');

export interface CliOptions {
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
}

function cliEnv(kubeconfig: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A clean environment: no HOME config, no colours, the test's kubeconfig only.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', HYPRBOX_KUBECONFIG: kubeconfig, ...extra };
}

export function hyprbox(kubeconfig: string, args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HYPRBOX_BIN, ...args], { env: cliEnv(kubeconfig, o.env), cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** A long-running hyprbox (get -w, logs -f, sync, up): output so far, and stop() sends SIGINT. */
export function hyprboxStream(kubeconfig: string, args: string[], o: CliOptions = {}) {
  const child = spawn(process.execPath, [HYPRBOX_BIN, ...args], { env: cliEnv(kubeconfig, o.env), cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000): Promise<number> {
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
