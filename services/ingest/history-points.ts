import type { Device, DeviceMessage } from '../contracts/index.ts';
import type { FieldValue, HistoryPoint } from '../store/history-store.ts';

/** Adds the optional fields that are present. On the hot path: a plain loop, no entries arrays. */
function withOptional(fields: Record<string, FieldValue>, optional: Record<string, FieldValue | undefined>): Record<string, FieldValue> {
  for (const k in optional) {
    const v = optional[k];
    if (v !== undefined) fields[k] = v;
  }
  return fields;
}

/**
 * The history point of an accepted message. Tags are resolved from the registry here, once,
 * and travel in the spool with the point: a replay after a device was re-assigned still
 * writes the same series, so it still duplicates nothing.
 */
export function toHistoryPoint(m: DeviceMessage, device: Device): HistoryPoint | null {
  switch (m.channel) {
    case 'position': {
      const p = m.payload;
      const fields = withOptional({ lat: p.lat, lon: p.lon, fix: p.fix ?? true }, {
        speedKmh: p.speedKmh, courseDeg: p.courseDeg, altitudeM: p.altitudeM, satellites: p.satellites, hdop: p.hdop,
        ignition: p.ignition, odometerKm: p.odometerKm,
      });
      if (p.io) for (const id in p.io) fields[`io_${id}`] = p.io[id]!;
      return { measurement: 'position', tags: device.vehicleId ? { device: device.id, vehicle: device.vehicleId } : { device: device.id }, ts: m.ts, fields };
    }
    case 'lighting-state': {
      const s = m.payload;
      return {
        measurement: 'lighting_state',
        tags: { device: device.id, ...(device.groupId ? { group: device.groupId } : {}) },
        ts: m.ts,
        fields: withOptional({ level: s.level, on: s.on }, {
          powerW: s.powerW, voltageV: s.voltageV, currentA: s.currentA, energyKWh: s.energyKWh,
          lamps: s.lamps ? JSON.stringify(s.lamps) : undefined,
        }),
      };
    }
    case 'energy-reading': {
      const r = m.payload;
      return {
        measurement: 'energy_reading',
        tags: { device: device.id, ...(device.buildingId ? { building: device.buildingId } : {}) },
        ts: m.ts,
        fields: withOptional({ value: r.value, unit: r.unit }, { powerW: r.powerW }),
      };
    }
    case 'lighting-cmd-ack':
      // Acks are delivery state of commands, not telemetry.
      return null;
  }
}
