/**
 * The whole error family of the codebase; the class of an error *is* its retry policy.
 *
 * - HTTP: ValidationError (400, one issue per field), UnauthorizedError (401), NotFoundError (404),
 *   ConflictError (409), UnprocessableError (422); the API's error middleware shapes them.
 * - Job outcomes, mapped by the worker's consume wrapper (crawler/consume.ts):
 *   PermanentError (dead-letter now), RetryableError (delayed retry, counts an attempt),
 *   RateLimitedError (waits `retryAfterMs`, costs no attempt), AuthError (the provider refused
 *   the credentials: the shop is paused with the reason), ShutdownError (back to the queue as it
 *   stands).
 * - Provider calls: TransientError (5xx, network: retried in place by lib/retry.ts, then a
 *   RetryableError), NetworkError (no answer at all; a TransientError).
 *
 * One error type for the whole codebase. `code` is stable (clients and tests match on it),
 * `status` is the HTTP status when the error reaches the API, `expose` says whether `message`
 * may be shown to a client. Job-outcome subclasses double as the worker's retry policy.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details: unknown;

  constructor(code: string, message: string, opts: { status?: number; expose?: boolean; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.expose = opts.expose ?? this.status < 500;
    this.details = opts.details;
  }
}

export interface FieldIssue {
  field: string;
  reason: string;
}

export class ValidationError extends AppError {
  constructor(issues: FieldIssue[], message = 'The request is not valid: see details for each field.') {
    super('validation_failed', message, { status: 400, details: issues });
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string | number) {
    super('not_found', `No ${resource} with id ${id}.`, { status: 404, details: { resource, id } });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { status: 409, details });
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { status: 422, details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Send the API token as "Authorization: Bearer <API_TOKEN>".') {
    super('unauthorized', message, { status: 401 });
  }
}

// ---- job outcomes: the worker's consume wrapper maps these to ack / delayed retry / dead-letter ----

/** Worth trying again later; counts one attempt. */
export class RetryableError extends AppError {
  constructor(message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super('retryable', message, { status: 503, expose: false, ...opts });
  }
}

/** The provider asked us to slow down: wait `retryAfterMs`, costs no attempt. */
export class RateLimitedError extends AppError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, opts: { cause?: unknown; details?: unknown } = {}) {
    super('rate_limited', message, { status: 503, expose: false, ...opts });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The provider refused the credentials: no retry until a person replaces them. */
export class AuthError extends AppError {
  constructor(message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super('credentials_refused', message, { status: 422, expose: true, ...opts });
  }
}

/** Retrying cannot help (malformed job, a provider's 4xx): dead-letter at once. */
export class PermanentError extends AppError {
  constructor(message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super('permanent', message, { status: 500, expose: false, ...opts });
  }
}

/** The process is shutting down: the job goes back to the queue as it stands, costing no attempt. */
export class ShutdownError extends AppError {
  constructor() {
    super('shutting_down', 'The worker is shutting down.', { status: 503, expose: false });
  }
}

// ---- provider calls: retried in place (lib/retry.ts) before the job itself is retried ----

/** A provider failure worth retrying in place (5xx, network); when the retries run out it becomes a RetryableError. */
export class TransientError extends AppError {
  constructor(message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super('transient', message, { status: 503, expose: false, ...opts });
  }
}

/** The request got no answer at all (refused, reset, timed out, DNS). */
export class NetworkError extends TransientError {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}
