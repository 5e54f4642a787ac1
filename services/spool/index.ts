export { Spool, SpoolUnavailableError } from './spool.ts';
export type { SpoolBatch, SpoolLogger, SpoolOptions, SpoolPosition, SpoolStats } from './spool.ts';
