import { z } from 'zod';
import { DeviceId, IsoUtc, NonNegative, Percent, Timestamp, finite } from './common.ts';

export const LampFault = z.enum([
  'lamp-failure',
  'no-communication',
  'burning-by-day',
  'power-mismatch',
  'voltage-out-of-range',
]);
export type LampFault = z.infer<typeof LampFault>;

export const LampState = z.strictObject({
  id: z.string().min(1).max(64),
  level: Percent.optional(),
  on: z.boolean().optional(),
  powerW: NonNegative.optional(),
  faults: z.array(LampFault).max(8).optional(),
});

/** `v1/lighting/{controllerId}/state` */
export const LightingStatePayload = z.strictObject({
  ts: Timestamp,
  level: Percent,
  on: z.boolean(),
  powerW: NonNegative.optional(),
  voltageV: NonNegative.max(1000).optional(),
  currentA: NonNegative.max(10000).optional(),
  energyKWh: NonNegative.optional(),
  lamps: z.array(LampState).max(500).optional(),
  /** the cabinet's door contact: true while it is open (raises the `door-open` fault) */
  doorOpen: z.boolean().optional(),
});
export type LightingStatePayload = z.input<typeof LightingStatePayload>;
export type LightingState = z.output<typeof LightingStatePayload>;

/** `v1/lighting/{controllerId}/cmd` — sent by the hub to a controller. */
export const LightingCommand = z.strictObject({
  cmdId: z.string().min(1).max(64),
  ts: Timestamp,
  action: z.enum(['set-level', 'on', 'off', 'resume-schedule']),
  level: Percent.optional(),
  /** manual overrides expire; the controller falls back to its schedule after this */
  expiresAt: Timestamp.optional(),
});
export type LightingCommand = z.input<typeof LightingCommand>;

/** `v1/lighting/{controllerId}/cmd/ack` — sent by the controller. */
export const LightingCommandAck = z.strictObject({
  cmdId: z.string().min(1).max(64),
  ts: Timestamp,
  status: z.enum(['applied', 'rejected']),
  reason: z.string().max(500).optional(),
});
export type LightingCommandAck = z.input<typeof LightingCommandAck>;

export const ControllerState = z.object({
  controllerId: DeviceId,
  name: z.string().nullable(),
  groupId: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  ts: IsoUtc,
  receivedAt: IsoUtc,
  level: finite(),
  on: z.boolean(),
  powerW: z.number().nullable(),
  voltageV: z.number().nullable(),
  energyKWh: z.number().nullable(),
  faults: z.array(z.string()),
  stale: z.boolean(),
  demo: z.boolean(),
});
export type ControllerState = z.infer<typeof ControllerState>;

/** A cabinet's acknowledgement of a command, as the hub kept it (`GET /api/v1/lighting/command-acks`). */
export const KeptCommandAck = z.object({
  cmdId: z.string(),
  controllerId: DeviceId,
  ts: IsoUtc,
  status: z.enum(['applied', 'rejected']),
  reason: z.string().nullable(),
  receivedAt: IsoUtc,
});
export type KeptCommandAck = z.infer<typeof KeptCommandAck>;
// ---------------------------------------------------------------------------------------------
// Dispatch: schedules, plans, groups, overrides, commands (docs/lighting.md)

/** A local wall time in the city's zone, `HH:MM`. */
export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, 00:00–23:59');
/** A local date in the city's zone, `YYYY-MM-DD`. */
export const LocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a calendar date');

const OffsetMin = z.number().int('must be whole minutes').min(-240, 'must be ≥ -240 minutes').max(240, 'must be ≤ 240 minutes');

function needsTimeForFixedEvent(e: { event: string; time?: string | undefined; offsetMin?: number | undefined }, ctx: z.RefinementCtx): void {
  if (e.event === 'time' && e.time === undefined) ctx.addIssue({ code: 'custom', path: ['time'], message: 'is required when event is "time"' });
  if (e.event !== 'time' && e.time !== undefined) ctx.addIssue({ code: 'custom', path: ['time'], message: `is only for event "time" (the ${e.event} moves with the season)` });
}

/** When lamps switch on: at sunset plus an offset, or at a fixed local time. */
export const SwitchOn = z
  .strictObject({ event: z.enum(['sunset', 'time']), offsetMin: OffsetMin.optional(), time: LocalTime.optional() })
  .superRefine(needsTimeForFixedEvent);
/** When lamps switch off: at sunrise plus an offset, or at a fixed local time. */
export const SwitchOff = z
  .strictObject({ event: z.enum(['sunrise', 'time']), offsetMin: OffsetMin.optional(), time: LocalTime.optional() })
  .superRefine(needsTimeForFixedEvent);
export type SwitchOn = z.infer<typeof SwitchOn>;
export type SwitchOff = z.infer<typeof SwitchOff>;

/** From this local time on, the lamps burn at `level` (until the next step or switch-off). */
export const DimStep = z.strictObject({ from: LocalTime, level: Percent });
export type DimStep = z.infer<typeof DimStep>;

const MinOnMin = z.number().int('must be whole minutes').min(0, 'must be ≥ 0').max(720, 'must be ≤ 720 minutes');

function stepsDistinct(steps: readonly { from: string }[] | undefined, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const seen = new Set<string>();
  steps?.forEach((s, i) => {
    if (seen.has(s.from)) ctx.addIssue({ code: 'custom', path: [...path, i, 'from'], message: `${s.from} appears twice` });
    seen.add(s.from);
  });
}

/** What a weekday set or a calendar exception changes for its evenings; unset fields keep the schedule's. */
const NightVariant = {
  on: SwitchOn.optional(),
  off: SwitchOff.optional(),
  steps: z.array(DimStep).max(48).optional(),
  minOnMin: MinOnMin.optional(),
  /** the lamps stay off that night */
  unlit: z.boolean().optional(),
};

/** ISO weekday of the evening: 1 Monday … 7 Sunday. */
export const Weekday = z.number().int().min(1, 'must be 1 (Monday) … 7 (Sunday)').max(7, 'must be 1 (Monday) … 7 (Sunday)');

export const WeekdaySet = z.strictObject({ days: z.array(Weekday).min(1, 'give at least one day').max(7), ...NightVariant });
export const ScheduleException = z.strictObject({ date: LocalDate, name: z.string().trim().max(120).optional(), ...NightVariant });
export type ScheduleException = z.infer<typeof ScheduleException>;

/** `PUT /api/v1/lighting/groups/:groupId/schedule` */
export const LightingSchedule = z
  .strictObject({
    on: SwitchOn,
    off: SwitchOff,
    steps: z.array(DimStep).max(48).default([]),
    minOnMin: MinOnMin.optional(),
    weekdays: z.array(WeekdaySet).max(7).optional(),
    exceptions: z.array(ScheduleException).max(400).optional(),
  })
  .superRefine((s, ctx) => {
    stepsDistinct(s.steps, ctx, ['steps']);
    const days = new Map<number, number>();
    s.weekdays?.forEach((w, i) => {
      stepsDistinct(w.steps, ctx, ['weekdays', i, 'steps']);
      w.days.forEach((d, j) => {
        if (days.has(d)) ctx.addIssue({ code: 'custom', path: ['weekdays', i, 'days', j], message: `day ${d} is already in weekday set ${days.get(d)}` });
        days.set(d, i);
      });
    });
    const dates = new Set<string>();
    s.exceptions?.forEach((e, i) => {
      stepsDistinct(e.steps, ctx, ['exceptions', i, 'steps']);
      if (dates.has(e.date)) ctx.addIssue({ code: 'custom', path: ['exceptions', i, 'date'], message: `${e.date} has another exception` });
      dates.add(e.date);
    });
  });
export type LightingScheduleInput = z.input<typeof LightingSchedule>;
export type LightingSchedule = z.output<typeof LightingSchedule>;

/** One local evening of a plan: instants in ISO 8601 UTC; `on`/`off` null when the lamps stay off. */
export const PlanEntry = z.object({
  date: z.string().describe('the local date of the evening, YYYY-MM-DD'),
  on: IsoUtc.nullable(),
  off: IsoUtc.nullable(),
  steps: z.array(z.object({ at: IsoUtc, level: z.number() })),
  source: z.enum(['schedule', 'weekday', 'exception']).describe('what decided the night'),
  exception: z.string().optional().describe('the exception\'s name, when one decided it'),
  sunset: IsoUtc.nullable(),
  sunrise: IsoUtc.nullable().describe('of the next morning'),
});
export type PlanEntry = z.infer<typeof PlanEntry>;

/** `PUT /api/v1/lighting/groups/:groupId` — a group's cabinets; a cabinet belongs to one group at most. */
export const LightingGroupPut = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(120),
  controllerIds: z.array(DeviceId).max(10_000).refine((ids) => new Set(ids).size === ids.length, 'must not name a cabinet twice'),
});
export type LightingGroupPut = z.infer<typeof LightingGroupPut>;
export const GroupId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . - and start with a letter or digit');
export const LightingGroup = z.object({
  groupId: z.string(),
  name: z.string(),
  controllerIds: z.array(z.string()),
  hasSchedule: z.boolean(),
  updatedAt: IsoUtc,
});
export type LightingGroup = z.infer<typeof LightingGroup>;

export const OverridePriority = z.enum(['emergency', 'operator']);
export type OverridePriority = z.infer<typeof OverridePriority>;

/** `POST /api/v1/lighting/overrides` — a level for a group or one cabinet until `expiresAt`. */
export const OverrideCreate = z
  .strictObject({
    groupId: GroupId.optional(),
    controllerId: DeviceId.optional(),
    level: Percent,
    expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-26T23:00:00Z' }),
    priority: OverridePriority.default('operator'),
    note: z.string().trim().max(500).optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.groupId === undefined) === (o.controllerId === undefined)) {
      ctx.addIssue({ code: 'custom', path: [o.groupId === undefined ? 'groupId' : 'controllerId'], message: 'give either groupId or controllerId, not both or neither' });
    }
  });
export type OverrideCreate = z.infer<typeof OverrideCreate>;
export const LightingOverride = z.object({
  id: z.string(),
  groupId: z.string().nullable(),
  controllerId: z.string().nullable(),
  level: z.number(),
  priority: OverridePriority,
  note: z.string().nullable(),
  createdAt: IsoUtc,
  createdBy: z.string(),
  expiresAt: IsoUtc,
  endedAt: IsoUtc.nullable().describe('set when it was deleted (or expired); null while active'),
  endedBy: z.string().nullable(),
  active: z.boolean(),
});
export type LightingOverride = z.infer<typeof LightingOverride>;

/**
 * A command's life: `pending` (made, waiting to be sent or for its cabinet to come back),
 * `sent` (published, waiting for `cmd/ack`), `acknowledged` (applied), `rejected` (the cabinet
 * said no), `expired` (its expiry passed, or a newer command took its place, before it was
 * applied), `failed` (no acknowledgement after every retry).
 */
export const CommandState = z.enum(['pending', 'sent', 'acknowledged', 'rejected', 'expired', 'failed']);
export type CommandState = z.infer<typeof CommandState>;
export const LightingCommandRecord = z.object({
  cmdId: z.string(),
  controllerId: z.string(),
  action: z.enum(['set-level', 'on', 'off', 'resume-schedule']),
  level: z.number().nullable(),
  source: z.string().describe('`schedule`, or `override:{id}`'),
  state: CommandState,
  createdAt: IsoUtc,
  expiresAt: IsoUtc,
  attempts: z.number(),
  lastSentAt: IsoUtc.nullable(),
  nextAttemptAt: IsoUtc.nullable(),
  finishedAt: IsoUtc.nullable(),
  detail: z.string().nullable(),
});
export type LightingCommandRecord = z.infer<typeof LightingCommandRecord>;

/** A fault of a cabinet (or of one of its lamps): raised, acknowledged by an operator, cleared when resolved. */
export const FaultCode = z.enum([...LampFault.options, 'door-open']);
export type FaultCode = z.infer<typeof FaultCode>;
export const LightingFault = z.object({
  id: z.number(),
  controllerId: z.string(),
  code: FaultCode,
  lampId: z.string().nullable().describe('the lamp, for a fault a cabinet reports per lamp'),
  detail: z.string().nullable(),
  raisedAt: IsoUtc,
  ackedAt: IsoUtc.nullable(),
  ackedBy: z.string().nullable(),
  clearedAt: IsoUtc.nullable().describe('null while the fault lasts'),
});
export type LightingFault = z.infer<typeof LightingFault>;

/** `PUT /api/v1/lighting/fault-settings` — thresholds of the faults the hub works out itself. */
export const FaultSettings = z.strictObject({
  /** power may differ this much (percent) from rated power × level before `power-mismatch` */
  powerTolerancePct: finite().min(1, 'must be ≥ 1').max(100, 'must be ≤ 100'),
  voltageMinV: finite().min(0, 'must be ≥ 0').max(1000, 'must be ≤ 1000'),
  voltageMaxV: finite().min(0, 'must be ≥ 0').max(1000, 'must be ≤ 1000'),
  /** silence longer than this is `no-communication` */
  noCommunicationMin: z.number().int().min(1, 'must be ≥ 1').max(1440, 'must be ≤ 1440'),
}).refine((s) => s.voltageMinV < s.voltageMaxV, { path: ['voltageMaxV'], message: 'must be above voltageMinV' });
export type FaultSettings = z.infer<typeof FaultSettings>;
export const DEFAULT_FAULT_SETTINGS: FaultSettings = { powerTolerancePct: 20, voltageMinV: 207, voltageMaxV: 253, noCommunicationMin: 20 };

/** `PUT /api/v1/lighting/controllers/:controllerId/rating` — a cabinet's power at full level, for `power-mismatch`. */
export const CabinetRating = z.strictObject({ ratedW: finite().min(1, 'must be ≥ 1 W').max(1_000_000, 'must be ≤ 1,000,000 W') });
export type CabinetRating = z.infer<typeof CabinetRating>;

/** An OPC UA node id in its string form: `ns=2;s=Cabinet1.Level`, `i=2258`, `ns=3;g=…`, `ns=1;b=…`. */
export const OpcuaNodeId = z.string().max(500).regex(/^(ns=\d{1,5};)?(i=\d+|s=.+|g=[0-9a-fA-F-]{36}|b=[A-Za-z0-9+/=]+)$/, 'must be an OPC UA node id such as ns=2;s=Cabinet1.Level');
/** A node, and the factor that turns its value into the hub's unit (level 0–100, W, V, A, kWh). */
export const OpcuaNodeRef = z.union([
  OpcuaNodeId,
  z.strictObject({ nodeId: OpcuaNodeId, scale: finite().refine((x) => x !== 0, 'must not be 0') }),
], { error: 'must be a node id string or {nodeId, scale}' });
export type OpcuaNodeRef = z.infer<typeof OpcuaNodeRef>;

/** The OPC UA message security modes the hub speaks (SignAndEncrypt with policy Basic256Sha256). */
export const OpcuaSecurityMode = z.enum(['None', 'SignAndEncrypt']);
export type OpcuaSecurityMode = z.infer<typeof OpcuaSecurityMode>;

/** `PUT /api/v1/lighting/models/:modelId` — how one model of OPC UA cabinet controller is read and driven. */
export const OpcuaModel = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(120),
  read: z.strictObject({
    level: OpcuaNodeRef,
    on: OpcuaNodeRef,
    powerW: OpcuaNodeRef.optional(),
    voltageV: OpcuaNodeRef.optional(),
    currentA: OpcuaNodeRef.optional(),
    energyKWh: OpcuaNodeRef.optional(),
    doorOpen: OpcuaNodeRef.optional(),
  }),
  write: z.strictObject({ level: OpcuaNodeRef, on: OpcuaNodeRef.optional() }),
  /**
   * How the hub talks to cabinets of this model: `None` (the default) or `SignAndEncrypt`
   * (policy Basic256Sha256, the hub's own certificate, a server certificate an admin trusted).
   */
  securityMode: OpcuaSecurityMode.optional(),
});
export type OpcuaModel = z.infer<typeof OpcuaModel>;
export const OpcuaModelRecord = OpcuaModel.extend({ modelId: z.string(), updatedAt: IsoUtc });
export type OpcuaModelRecord = z.infer<typeof OpcuaModelRecord>;

/**
 * `PUT /api/v1/lighting/controllers/:controllerId/opcua` — where an OPC UA cabinet is and which
 * model reads it. Interim: PRODUCT.md puts `endpointUrl` and `model` on the device itself, and
 * this binding goes once the device registry holds them.
 */
export const OpcuaBinding = z.strictObject({
  endpointUrl: z.string().max(500).regex(/^opc\.tcp:\/\/[^\s/]+(:\d+)?(\/.*)?$/, 'must be an opc.tcp:// URL'),
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a model id'),
});
export type OpcuaBinding = z.infer<typeof OpcuaBinding>;
/** How the hub's client of one OPC UA cabinet stands. */
export const OpcuaLink = z.enum(['connecting', 'connected', 'unreachable', 'certificate-untrusted']);
export type OpcuaLink = z.infer<typeof OpcuaLink>;
/** SHA-1 of a certificate's DER, 40 lower-case hex digits (as OPC UA's thumbprints). */
export const CertificateThumbprint = z.string().regex(/^[0-9a-fA-F]{40}$/, 'must be a certificate thumbprint: 40 hex digits (SHA-1)').transform((s) => s.toLowerCase());
/** `GET /api/v1/lighting/opcua` — each OPC UA cabinet and whether the hub reaches it. */
export const OpcuaCabinetStatus = OpcuaBinding.extend({
  controllerId: z.string(),
  securityMode: OpcuaSecurityMode.nullable(),
  link: OpcuaLink,
  detail: z.string().nullable(),
  /** the thumbprint of the certificate the server last presented, when it is not trusted */
  untrustedCertificate: z.string().nullable(),
});
export type OpcuaCabinetStatus = z.infer<typeof OpcuaCabinetStatus>;
/** A server certificate in the hub's OPC UA trust store (`GET /api/v1/lighting/opcua/certificates`). */
export const OpcuaServerCertificate = z.object({
  thumbprint: z.string(),
  /** `pending`: seen and not trusted (the rejected folder); `trusted`: an admin trusted it */
  status: z.enum(['pending', 'trusted']),
  subject: z.string(),
  issuer: z.string(),
  /** the OPC UA application URI and host names and addresses the certificate names */
  subjectAltName: z.string().nullable(),
  notBefore: IsoUtc,
  notAfter: IsoUtc,
  /** cabinets whose server presented it since the hub started */
  controllerIds: z.array(z.string()),
});
export type OpcuaServerCertificate = z.infer<typeof OpcuaServerCertificate>;
/** The hub's own application certificate, to be trusted on the cabinets' servers. */
export const OpcuaHubCertificate = z.object({
  thumbprint: z.string(),
  subject: z.string(),
  subjectAltName: z.string().nullable(),
  notBefore: IsoUtc,
  notAfter: IsoUtc,
  pem: z.string(),
});
export type OpcuaHubCertificate = z.infer<typeof OpcuaHubCertificate>;

/** `GET /api/v1/lighting/energy` — one cabinet or one group, local days or months of CITY_TZ. */
export const LightingEnergyQuery = z
  .strictObject({
    groupId: GroupId.optional(),
    controllerId: DeviceId.optional(),
    from: LocalDate,
    to: LocalDate,
    interval: z.enum(['day', 'month']).default('day'),
  })
  .superRefine((q, ctx) => {
    if ((q.groupId === undefined) === (q.controllerId === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'give exactly one of groupId and controllerId' });
    }
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });
export type LightingEnergyQuery = z.infer<typeof LightingEnergyQuery>;
export const LightingEnergyInterval = z.object({
  start: IsoUtc,
  end: IsoUtc,
  kWh: z.number(),
  fullPowerKWh: z.number(),
  savedKWh: z.number(),
});
export type LightingEnergyInterval = z.infer<typeof LightingEnergyInterval>;
