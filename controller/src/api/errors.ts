// Kubernetes `Status` errors. Every failure the API returns goes through ApiError so kubectl can print
// `Error from server (<reason>): <message>` and the per-field causes.

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** How errors name a resource: `nodes.hyprbox.io "web-1"`. */
export interface ResourceRef {
  plural: string;
  group: string;
  kind: string;
}
const qualified = (r: ResourceRef): string => (r.group ? `${r.plural}.${r.group}` : r.plural);
const details = (r: ResourceRef, name?: string, causes?: StatusCause[]): StatusDetails => ({
  ...(name !== undefined ? { name } : {}),
  group: r.group,
  kind: r.plural,
  ...(causes ? { causes } : {}),
});

export const notFound = (r: ResourceRef, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name));

export const alreadyExists = (r: ResourceRef, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name));

export const conflict = (r: ResourceRef, name: string, why: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`,
    details(r, name),
  );

export const invalid = (r: ResourceRef, name: string, causes: StatusCause[]): ApiError =>
  new ApiError(
    422,
    'Invalid',
    `${r.group ? `${r.kind}.${r.group}` : r.kind} "${name}" is invalid: ${causes
      .map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
      .join(', ')}`,
    // kubectl prints `The <details.kind> "<name>" is invalid`: Kubernetes puts the Kind here, not the plural.
    { ...details(r, name, causes), kind: r.kind },
  );

export const badRequest = (message: string, causes?: StatusCause[]): ApiError =>
  new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);

/** A read at a resourceVersion the store has not reached (client-go retries it: ResourceVersionTooLarge). */
export const tooLargeResourceVersion = (requested: number, current: number): ApiError =>
  new ApiError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const methodNotAllowed = (message: string): ApiError => new ApiError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (type: string, supported: string[]): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')} (got "${type}")`);

export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${limit} bytes`);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (user: string, verb: string, resource: string, group: string, ns?: string): ApiError =>
  new ApiError(
    403,
    'Forbidden',
    `${group ? `${resource}.${group}` : resource} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`,
    { group, kind: resource },
  );

export const routeNotFound = (path: string): ApiError =>
  new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`);

export const internalError = (): ApiError =>
  new ApiError(500, 'InternalError', 'an internal error occurred; see the controller log for details');

export const unavailable = (message: string): ApiError => new ApiError(503, 'ServiceUnavailable', message);
