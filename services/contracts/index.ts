/** The contracts of mistohub: every MQTT payload, REST body and Socket.IO event. Imports only zod. */
export * from './common.ts';
export * from './topics.ts';
export * from './transit.ts';
export * from './open.ts';
export * from './lighting.ts';
export * from './energy.ts';
export * from './devices.ts';
export * from './system.ts';
export * from './decode.ts';
export * from './socket-events.ts';
