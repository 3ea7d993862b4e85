import pino from 'pino';

/**
 * The root logger. Redaction is a second line of defence: credentials are never passed to the
 * logger on purpose, but if an object carrying them ever is, these paths print as [redacted].
 */
export function createLogger(opts: { level?: string; name?: string } = {}): pino.Logger {
  return pino({
    name: opts.name ?? 'shipsync',
    level: opts.level ?? 'info',
    redact: {
      paths: [
        'credentials',
        '*.credentials',
        'client_secret',
        '*.client_secret',
        'clientSecret',
        '*.clientSecret',
        'access_token',
        '*.access_token',
        'accessToken',
        '*.accessToken',
        'authorization',
        '*.authorization',
        '*.headers.authorization',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

export type Logger = pino.Logger;
