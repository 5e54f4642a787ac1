import { z } from 'zod';
import { DeviceId, IsoUtc, Latitude, Longitude, finite } from './common.ts';
import { EnergyResource, EnergyUnit, UNITS_BY_RESOURCE } from './energy.ts';

export const DeviceKind = z.enum(['tracker', 'lighting-controller', 'energy-meter', 'weather-station']);
export type DeviceKind = z.infer<typeof DeviceKind>;
export const DeviceProtocol = z.enum(['mqtt', 'teltonika', 'wialon-ips', 'gt06', 'opcua']);
export type DeviceProtocol = z.infer<typeof DeviceProtocol>;

/** Which protocols each kind of device may speak. */
export const PROTOCOLS_BY_KIND: Record<DeviceKind, readonly DeviceProtocol[]> = {
  tracker: ['mqtt', 'teltonika', 'wialon-ips', 'gt06'],
  'lighting-controller': ['mqtt', 'opcua'],
  'energy-meter': ['mqtt', 'opcua'],
  'weather-station': ['mqtt'],
};

export const Imei = z.string().regex(/^\d{15}$/, 'must be 15 digits');
const Label = z.string().trim().min(1).max(120);

const DeviceFields = {
  name: Label.optional(),
  imei: Imei.optional(),
  vehicleId: Label.optional(),
  routeId: Label.optional(),
  groupId: Label.optional(),
  buildingId: Label.optional(),
  lat: Latitude.optional(),
  lon: Longitude.optional(),
  /** Demo devices are labelled as such in every view. */
  demo: z.boolean().optional(),
  /** energy meters: what they measure, in which unit, and register units to that unit */
  resource: EnergyResource.optional(),
  unit: EnergyUnit.optional(),
  multiplier: finite().positive('must be > 0').max(1e6, 'must be ≤ 1000000').optional(),
};

const METER_FIELDS = ['resource', 'unit', 'multiplier'] as const;

type KindFields = { kind: DeviceKind; protocol: DeviceProtocol; imei?: string | undefined; vehicleId?: string | undefined; resource?: EnergyResource | undefined; unit?: EnergyUnit | undefined; multiplier?: number | undefined };

function checkKindRules(d: KindFields, ctx: z.RefinementCtx): void {
  if (!PROTOCOLS_BY_KIND[d.kind].includes(d.protocol)) {
    ctx.addIssue({ code: 'custom', path: ['protocol'], message: `a ${d.kind} speaks ${PROTOCOLS_BY_KIND[d.kind].join(', ')}` });
  }
  if (d.kind === 'tracker') {
    if (!d.imei) ctx.addIssue({ code: 'custom', path: ['imei'], message: 'a tracker needs its 15-digit IMEI' });
    if (!d.vehicleId) ctx.addIssue({ code: 'custom', path: ['vehicleId'], message: 'a tracker needs the vehicle it is fitted to' });
  }
  if (d.kind !== 'energy-meter') {
    for (const f of METER_FIELDS) if (d[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'only an energy-meter has it' });
  } else if (d.resource && d.unit && !UNITS_BY_RESOURCE[d.resource].includes(d.unit)) {
    ctx.addIssue({ code: 'custom', path: ['unit'], message: `a ${d.resource} meter counts in ${UNITS_BY_RESOURCE[d.resource].join(', ')}` });
  }
}

/** `POST /api/v1/devices` */
export const DeviceCreate = z
  .strictObject({ id: DeviceId, kind: DeviceKind, protocol: DeviceProtocol, ...DeviceFields })
  .superRefine(checkKindRules);
export type DeviceCreate = z.infer<typeof DeviceCreate>;

/** `PATCH /api/v1/devices/:id` — kind and protocol are fixed once registered; `rotateSecret` issues a new secret. */
export const DevicePatch = z.strictObject({
  ...DeviceFields,
  enabled: z.boolean().optional(),
  rotateSecret: z.literal(true).optional(),
});
export type DevicePatch = z.infer<typeof DevicePatch>;

export const Device = z.object({
  id: z.string(),
  kind: DeviceKind,
  protocol: DeviceProtocol,
  name: z.string().nullable(),
  imei: z.string().nullable(),
  vehicleId: z.string().nullable(),
  routeId: z.string().nullable(),
  groupId: z.string().nullable(),
  buildingId: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  demo: z.boolean(),
  enabled: z.boolean(),
  /** energy meters only */
  resource: EnergyResource.nullable().optional(),
  unit: EnergyUnit.nullable().optional(),
  multiplier: z.number().nullable().optional(),
  createdAt: IsoUtc,
  updatedAt: IsoUtc,
});
export type Device = z.infer<typeof Device>;

/** The answer to a registration: the secret is shown once, for MQTT devices. */
export const DeviceCreated = Device.extend({ secret: z.string().optional() });

export const CsvImportResult = z.object({
  created: z.number(),
  refused: z.number(),
  rows: z.array(
    z.object({
      line: z.number().describe('1-based line of the CSV, the header being line 1'),
      id: z.string().nullable(),
      status: z.enum(['created', 'refused']),
      error: z.string().optional(),
      secret: z.string().optional(),
    }),
  ),
});
export type CsvImportResult = z.infer<typeof CsvImportResult>;

export const Role = z.enum(['admin', 'dispatcher', 'lighting', 'energy', 'display']);
export type Role = z.infer<typeof Role>;

export const UserCreate = z.strictObject({
  username: z.string().regex(/^[a-z0-9][a-z0-9_.-]{2,31}$/, 'must be 3–32 characters of a–z, 0–9, _ . -'),
  password: z.string().min(12, 'must be at least 12 characters').max(200),
  roles: z.array(Role).min(1, 'give at least one role'),
});
export const User = z.object({ username: z.string(), roles: z.array(Role), createdAt: IsoUtc });
export type User = z.infer<typeof User>;

export const TokenCreate = z.strictObject({
  name: z.string().trim().min(1).max(120),
  roles: z.array(Role).min(1, 'give at least one role'),
});
export const TokenCreated = z.object({ id: z.string(), name: z.string(), roles: z.array(Role), token: z.string(), createdAt: IsoUtc });
/** `POST /api/v1/service-accounts`: MQTT credentials of an internal service (`svc:{name}`). */
export const ServiceAccountCreate = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,63}$/, 'must be 2–64 characters of a–z, 0–9, _ . -'),
  scope: z.enum(['gateway', 'observer']).describe('gateway: publish positions for any registered tracker; observer: subscribe to device topics'),
});
export const ServiceAccountCreated = z.object({ username: z.string(), scope: z.enum(['gateway', 'observer']), secret: z.string() });

export const LoginBody = z.strictObject({ username: z.string().max(64), password: z.string().max(200) });

export const AuditEntry = z.object({
  id: z.number(),
  ts: IsoUtc,
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.string().nullable(),
});
