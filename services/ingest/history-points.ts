import type { Device, DeviceMessage } from '../contracts/index.ts';
import type { FieldValue, HistoryPoint } from '../store/history-store.ts';
import { MAX_TIME_MS, MIN_TIME_MS } from '../store/influxql.ts';
import { encodeLine, encodeRecord, lineHead } from '../store/line-protocol.ts';

/** Adds the optional fields that are present. On the hot path: a plain loop, no entries arrays. */
function withOptional(fields: Record<string, FieldValue>, optional: Record<string, FieldValue | undefined>): Record<string, FieldValue> {
  for (const k in optional) {
    const v = optional[k];
    if (v !== undefined) fields[k] = v;
  }
  return fields;
}

const positionTags = (device: Device): Record<string, string> => (device.vehicleId ? { device: device.id, vehicle: device.vehicleId } : { device: device.id });

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
      return { measurement: 'position', tags: positionTags(device), ts: m.ts, fields };
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
    case 'weather':
      // Outdoor temperature is kept by the energy domain (keepEvent), hourly, for degree-days.
      return null;
  }
}

/** `position,device=…,vehicle=…` per device. The registry makes a new Device object on every change, so a stale head is never used. */
const positionHeads = new WeakMap<Device, string>();

/**
 * The line of a position, written straight from the validated payload: the same line as
 * `encodeLine(toHistoryPoint(m, device))` (test/ingest/history-points.test.ts holds it to that),
 * without building the point, sorting its keys and checking again what the contract checked.
 * Positions are most of what the hub takes in. Anything unusual (IO elements, a timestamp
 * outside InfluxDB's range) takes the general path.
 */
function positionLine(m: Extract<DeviceMessage, { channel: 'position' }>, device: Device): string {
  const p = m.payload;
  if (p.io !== undefined || m.ts < MIN_TIME_MS || m.ts > MAX_TIME_MS) return encodeLine(toHistoryPoint(m, device)!);
  let head = positionHeads.get(device);
  if (head === undefined) positionHeads.set(device, (head = lineHead('position', positionTags(device))));
  // Fields in the order encodeLine sorts them; numbers as String(n), booleans as T/F.
  let line = head;
  line += p.altitudeM !== undefined ? ` altitudeM=${p.altitudeM},` : ' ';
  if (p.courseDeg !== undefined) line += `courseDeg=${p.courseDeg},`;
  line += p.fix === false ? 'fix=F' : 'fix=T';
  if (p.hdop !== undefined) line += `,hdop=${p.hdop}`;
  if (p.ignition !== undefined) line += p.ignition ? ',ignition=T' : ',ignition=F';
  line += `,lat=${p.lat},lon=${p.lon}`;
  if (p.odometerKm !== undefined) line += `,odometerKm=${p.odometerKm}`;
  if (p.satellites !== undefined) line += `,satellites=${p.satellites}`;
  if (p.speedKmh !== undefined) line += `,speedKmh=${p.speedKmh}`;
  return `${line} ${m.ts}`;
}

/** The spool record of an accepted message (its line protocol), or null for what is not telemetry. Throws like `encodeLine`. */
export function toHistoryRecord(m: DeviceMessage, device: Device): Buffer | null {
  if (m.channel === 'position') return Buffer.from(positionLine(m, device), 'utf8');
  const point = toHistoryPoint(m, device);
  return point ? encodeRecord(point) : null;
}
