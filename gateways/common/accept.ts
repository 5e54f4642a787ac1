import type { DeviceMessage } from '../../services/contracts/index.ts';
import type { GatewayDeps, TrackerProtocol } from './types.ts';

/**
 * Hands a device's records to the hub. True once the hub has kept them (then, and only then,
 * the device is acknowledged); false when it could not, so the device is left to resend.
 */
export async function acceptRecords(protocol: TrackerProtocol, deviceId: string, messages: DeviceMessage[], deps: GatewayDeps): Promise<boolean> {
  if (messages.length === 0) return true;
  try {
    await deps.ingest.accept(messages, protocol);
    deps.metrics.record('accepted', messages.length);
    return true;
  } catch (err) {
    deps.metrics.frame('ingest-failed');
    // The spool logs the cause once and health shows it; a line per frame would flood the log.
    deps.logger.debug({ deviceId, err: (err as Error).message }, `${protocol}: the hub did not keep the records; not acknowledged`);
    return false;
  }
}
