// Errors a command reports to the user, with the documented exit codes (docs/CLI.md).
export const EXIT = {
  ok: 0,
  /** `diff`: there are changes; `rollout status`: the rollout failed. Not an error. */
  changes: 1,
  /** Bad flags, arguments, files or configuration: nothing was sent. */
  usage: 2,
  /** The controller refused the request (validation, not found, conflict). */
  refused: 3,
  /** Not authenticated or not allowed. */
  denied: 4,
  /** The controller could not be reached, or failed (5xx). */
  unavailable: 5,
  /** A bug in hyprbox itself; the message says what happened. */
  internal: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface StatusCause {
  field?: string;
  reason?: string;
  message?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
    /** Per-field causes from a Kubernetes Status, printed one per line. */
    readonly causes: StatusCause[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A Kubernetes Status the controller answered with. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    causes: StatusCause[] = [],
  ) {
    super(message, status === 401 || status === 403 ? EXIT.denied : status >= 500 ? EXIT.unavailable : EXIT.refused, causes);
    this.name = 'ApiError';
  }
}
