import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs in production; readable lines when a person watches a terminal. */
export function createLogger(level: string, pretty = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    base: { svc: 'mistohub' },
    redact: { paths: ['password', 'secret', 'token', '*.password', '*.secret', '*.token', 'req.headers.authorization'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,svc' } } } : {}),
  });
}
