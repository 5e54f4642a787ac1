/** The tracker gateways: start functions and the options they share. */
export { startTeltonikaGateway } from './teltonika/server.ts';
export { startWialonGateway } from './wialon/server.ts';
export { startGt06Gateway } from './gt06/server.ts';
export { DEFAULT_LIMITS } from './common/types.ts';
export type { Gateway, GatewayLimits, GatewayLogger, GatewayOptions, TrackerLookup, TrackerProtocol } from './common/types.ts';
export { TELTONIKA_IO_NAMES } from './teltonika/io.ts';
