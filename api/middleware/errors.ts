import type Koa from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { ApiState } from '../context.ts';

/**
 * The one place errors become responses: `{"error":{"code","message","details"}}`.
 *
 * - AppError: its status and code; its message and details only when `expose` (4xx by default).
 * - Errors of Koa and the body parser (they carry `status` and `expose`, like http-errors):
 *   invalid JSON and friends are 400, too large a body 413, an unknown charset 415.
 * - Anything else is our fault: 500 `internal_error` with a generic message, logged with the
 *   request id (the client gets the same id in X-Request-Id). Never a stack trace in a response.
 *
 * A ZodError reaching this point did not come from a request (routes parse requests with
 * `parseRequest`, which throws ValidationError): it is a bug of ours, e.g. a job payload we built
 * wrong, so it is a 500 rather than a 400 that blames the client.
 *
 * Also shapes the router's bare answers: 404 for a path no route has (`route_not_found`), 405 for
 * a method the path does not take (with `Allow`), 501 for a method no route takes.
 */
export function errorMapper(): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new AppError('route_not_found', `No route ${ctx.method} ${ctx.path}; GET /openapi.json lists every route.`, { status: 404 });
        if (ctx.status === 405) {
          throw new AppError('method_not_allowed', `${ctx.path} does not take ${ctx.method}; it takes ${ctx.response.get('Allow') || 'other methods'}.`, { status: 405 });
        }
        if (ctx.status === 501) throw new AppError('method_not_implemented', `No route takes the method ${ctx.method}.`, { status: 501 });
      }
    } catch (err) {
      writeError(ctx, err);
    }
  };
}

interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  details: unknown;
}

const GENERIC_500 = 'Something went wrong on our side. It is logged under the request id in the X-Request-Id header.';
const GENERIC_503 = 'The service is unavailable for a moment; try again.';

function writeError(ctx: Koa.ParameterizedContext<ApiState>, err: unknown): void {
  const answer = toErrorAnswer(err);
  // Our faults only: an exposed AppError (a 4xx, or a 503 that says what to do) is an answer,
  // and the request log line already carries its code. Logged without any body: body-parser
  // errors carry the raw body (`err.body`), which can hold credentials.
  if (answer.status >= 500 && !(err instanceof AppError && err.expose)) {
    ctx.state.log.error({ error: describe(err), method: ctx.method, path: ctx.path }, 'request failed');
  }
  ctx.state.errorCode = answer.code;
  if (ctx.headerSent || !ctx.writable) {
    // A streamed answer already started: the status is gone, all we can do is cut it.
    ctx.res.destroy();
    return;
  }
  ctx.status = answer.status;
  ctx.type = 'application/json';
  ctx.body = { error: { code: answer.code, message: answer.message, details: answer.details ?? null } };
}

export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof AppError) {
    if (err.expose) return { status: err.status, code: err.code, message: err.message, details: err.details };
    return err.status === 503
      ? { status: 503, code: 'service_unavailable', message: GENERIC_503, details: null }
      : { status: 500, code: 'internal_error', message: GENERIC_500, details: null };
  }
  if (err instanceof ZodError) return { status: 500, code: 'internal_error', message: GENERIC_500, details: null };
  const httpError = err as { status?: unknown; statusCode?: unknown; expose?: unknown; type?: unknown; message?: unknown };
  const status = typeof httpError?.status === 'number' ? httpError.status : typeof httpError?.statusCode === 'number' ? httpError.statusCode : 500;
  // co-body's JSON.parse failures: a SyntaxError with status 400 and no type.
  if (err instanceof SyntaxError && status === 400) return clientHttpError(400, 'entity.parse.failed', '');
  // Koa's own (ctx.throw, http-errors) say whether they are the client's doing with `expose`; any
  // other error with a 4xx `status` (a library's HTTP error) is still ours.
  if (typeof httpError?.expose === 'boolean' && status >= 400 && status < 500) {
    return clientHttpError(status, String(httpError.type ?? ''), httpError.expose ? String(httpError.message ?? '') : '');
  }
  return { status: 500, code: 'internal_error', message: GENERIC_500, details: null };
}

/**
 * For the body parser's `onError`: whatever goes wrong while reading and decoding a body is the
 * body's fault (broken JSON, a lying Content-Length, gzip that is not gzip), never a 500.
 */
export function bodyParseError(err: unknown): AppError {
  const e = err as { status?: unknown; type?: unknown; code?: unknown };
  const status = typeof e?.status === 'number' ? e.status : 400;
  const answer =
    err instanceof SyntaxError
      ? clientHttpError(400, 'entity.parse.failed', '')
      : typeof e?.code === 'string' && e.code.startsWith('Z_')
        ? { status: 400, code: 'invalid_body', message: 'The request body could not be decoded with its Content-Encoding.', details: null }
        : clientHttpError(status >= 400 && status < 500 ? status : 400, String(e?.type ?? ''), '');
  return new AppError(answer.code, answer.message, { status: answer.status, cause: err });
}

/** The body parser's (co-body, raw-body) errors, by their `type`. */
function clientHttpError(status: number, type: string, message: string): ErrorAnswer {
  switch (type) {
    case 'entity.parse.failed':
      // Not the parser's message: V8 quotes a piece of the body in it, and bodies carry secrets.
      return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON; send a JSON object.', details: null };
    case 'entity.too.large':
      return { status: 413, code: 'payload_too_large', message: 'The request body is larger than 1 MB.', details: null };
    case 'entity.verify.failed':
    case 'request.size.invalid':
      return { status: 400, code: 'invalid_body', message: 'The request body does not match its Content-Length.', details: null };
    case 'request.aborted':
      return { status: 400, code: 'request_aborted', message: 'The request was aborted before its body arrived.', details: null };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'unsupported_encoding', message: 'The request body must be UTF-8 JSON, plain or with Content-Encoding gzip or deflate.', details: null };
    default:
      if (status === 413) return { status, code: 'payload_too_large', message: 'The request body is too large.', details: null };
      if (status === 415) return { status, code: 'unsupported_encoding', message: 'The request body must be UTF-8 JSON, plain or with Content-Encoding gzip or deflate.', details: null };
      return { status, code: 'bad_request', message: message || 'The request is not valid.', details: null };
  }
}

/** What the log gets of an error: class, code, message, stack, and the same of its causes. */
function describe(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return { value: String(err) };
  const e = err as Error & { code?: unknown };
  return {
    type: e.name,
    ...(e.code !== undefined ? { code: e.code } : {}),
    message: e.message,
    stack: e.stack,
    ...(e.cause !== undefined && depth < 3 ? { cause: describe(e.cause, depth + 1) } : {}),
  };
}
