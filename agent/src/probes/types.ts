// A probe is a pure parser over its inputs plus a small collector. It never answers "no" when it could not
// look: every field is either a value it read, or unknown with the reason it could not read it.

export type ProbeField<T = unknown> =
  | { state: 'ok'; value: T }
  | { state: 'unknown'; reason: string };

export const ok = <T>(value: T): ProbeField<T> => ({ state: 'ok', value });
export const unknown = (reason: string): ProbeField<never> => ({ state: 'unknown', reason });

/** What a probe reports: one field per name, e.g. `sshd.passwordAuthentication`. */
export type ProbeResult = Record<string, ProbeField>;

/** The inputs a collector gathered: file contents by path (undefined = could not read, with why). */
export interface FileInput {
  path: string;
  content?: string;
  error?: string;
}

/** How probes reach the host; tests give a fixture root, the agent the real one (or a chroot). */
export interface HostAccess {
  /** Root directory all paths are resolved under ('/' on a real host). */
  root: string;
  readFile(path: string): Promise<FileInput>;
  /** Expands a glob (relative to `root`), sorted, for Include directives and the like. */
  glob(pattern: string): Promise<string[]>;
  /** Runs a command; exitCode undefined when it could not start (missing binary). Never throws. */
  run(cmd: string, args: string[], opts?: { timeoutMs?: number }): Promise<{ exitCode?: number; stdout: string; stderr: string; error?: string }>;
}

export interface Probe {
  /** Stable name, the prefix of its fields (`sshd`, `disk`, `packages`, `services`). */
  name: string;
  /** Files (or globs) whose change should re-run this probe. */
  watches(host: HostAccess): Promise<string[]>;
  /** Gathers inputs and parses them. Must not throw: failures become unknown fields. */
  collect(host: HostAccess): Promise<ProbeResult>;
}
