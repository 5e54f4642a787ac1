import type { DeviceMessage, Rejection } from '../contracts/index.ts';

/** Where a message came in: the MQTT broker, one of the tracker gateways, OPC UA, or a file imported over REST. */
export type IngestSource = 'mqtt' | 'teltonika' | 'wialon-ips' | 'gt06' | 'opcua' | 'import';

export interface DeadLetterInput extends Rejection {
  /** where it came in, or the history writer for a point the store refused for good */
  source: IngestSource | 'history-writer';
  topic?: string;
  payload?: Uint8Array | string;
}

/**
 * The one door into the hub for device data. Gateways and the broker call it.
 */
export interface Ingest {
  /**
   * Takes validated messages. Resolves once they are kept (in the durable spool): that is
   * the moment to acknowledge the device. Rejects when they could not be kept: then the
   * device must not be acknowledged, and it will resend.
   */
  accept(messages: readonly DeviceMessage[], source: IngestSource, options?: AcceptOptions): Promise<void>;
  /** Counts a refused message by reason and keeps it for inspection. Never throws. */
  reject(input: DeadLetterInput): void;
}

export interface AcceptOptions {
  /** false for MQTT QoS 0: same path and order, but nobody waits for the disk. Default true. */
  durable?: boolean;
}
