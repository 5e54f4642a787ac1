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

/**
 * What a device logs in with at a tracker gateway, per protocol: the identifier the protocol
 * really carries (docs/gateways.md, "Who gets in").
 * - Teltonika: the IMEI, 15 decimal digits in ASCII after a 2-byte length (Teltonika wiki, "Codec").
 * - GT06: the IMEI, 15 digits sent as 8 BCD bytes behind a leading 0 nibble ("Login message").
 * - Wialon IPS: the field is named "IMEI" but holds "IMEI, ID or serial number of the controller"
 *   (Wialon IPS 1.1 and 2.0, "Login packet"), with no length given; units send whatever unique
 *   id they were configured with, e.g. `#L#2.0;236010173;NA;8A7`, and Traccar takes any text.
 *   Accepted: 1–64 characters of A–Z, a–z, 0–9, _ . : - (the field sits in a `;`-separated
 *   text line, so `;`, `#`, spaces and control characters cannot be in it), matched exactly.
 */
export const LOGIN_ID_RULES = {
  teltonika: { name: 'Teltonika', what: '15-digit IMEI', pattern: /^\d{15}$/, rule: 'must be 15 digits: the IMEI a Teltonika device logs in with' },
  gt06: { name: 'GT06', what: '15-digit IMEI', pattern: /^\d{15}$/, rule: 'must be 15 digits: the IMEI a GT06 device logs in with' },
  'wialon-ips': {
    name: 'Wialon IPS',
    what: 'unit id',
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
    rule: 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : - : the unit id a Wialon IPS device logs in with',
  },
} as const satisfies Record<string, { name: string; what: string; pattern: RegExp; rule: string }>;
export type LoginProtocol = keyof typeof LOGIN_ID_RULES;

/** True for the protocols whose devices log in with a login id (the others log in with id and secret). */
export const logsInWithLoginId = (protocol: DeviceProtocol): protocol is LoginProtocol => protocol in LOGIN_ID_RULES;

/** A device that does not log in with it (MQTT, OPC UA) may still keep its IMEI, for reference. */
const REFERENCE_IMEI = { pattern: /^\d{15}$/, rule: 'must be 15 digits (an IMEI); an MQTT or OPC UA device logs in without it, so it may be left out' };

/**
 * Why `value` cannot be the login id of a `protocol` device, or null when it can. Pure; used by
 * registration (create and patch) and by the Wialon gateway's login decoder.
 */
export function loginIdProblem(protocol: DeviceProtocol, value: string): string | null {
  const { pattern, rule } = logsInWithLoginId(protocol) ? LOGIN_ID_RULES[protocol] : REFERENCE_IMEI;
  return pattern.test(value) ? null : rule;
}

/**
 * The text of a login id; its length and characters are the protocol's rule (`loginIdProblem`),
 * checked once the protocol is known (every rule bounds the length).
 */
const LoginIdText = z.string();
const Label = z.string().trim().min(1).max(120);

const DeviceFields = {
  name: Label.optional(),
  loginId: LoginIdText.optional().describe('what the device logs in with: the IMEI (Teltonika, GT06) or the unit id (Wialon IPS); optional for MQTT and OPC UA devices'),
  imei: LoginIdText.optional().describe('older name of loginId, still accepted; give one of the two'),
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
  /** OPC UA devices: the server the hub connects to, and the controller model that maps its nodes */
  endpointUrl: z.string().max(500).regex(/^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/, 'must be an OPC UA endpoint such as opc.tcp://10.0.0.5:4840').optional(),
  model: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, _ . : - (a model of PUT /api/v1/lighting/models/:modelId)').optional(),
};

interface LoginIdInput { loginId?: string | undefined; imei?: string | undefined }

/**
 * The login id a body carries and the field it came in (`loginId`, or its older name `imei`),
 * or an issue when both are given and differ.
 */
export function readLoginId(body: LoginIdInput): { value?: string; field: 'loginId' | 'imei'; conflict?: string } {
  if (body.loginId !== undefined && body.imei !== undefined && body.loginId !== body.imei) {
    return { field: 'imei', conflict: 'imei is the older name of loginId: give one of the two, or the same value in both' };
  }
  if (body.loginId !== undefined) return { value: body.loginId, field: 'loginId' };
  if (body.imei !== undefined) return { value: body.imei, field: 'imei' };
  return { field: 'loginId' };
}

/**
 * What is wrong with the login id a body carries for a `protocol` device, naming the field the
 * client used, or null. Pure: the registration schema and the PATCH route (which knows the
 * device's protocol only once it has looked the device up) both ask it.
 */
export function loginIdIssue(protocol: DeviceProtocol, body: LoginIdInput): { field: 'loginId' | 'imei'; reason: string } | null {
  const { value, field, conflict } = readLoginId(body);
  if (conflict) return { field, reason: conflict };
  const problem = value === undefined ? null : loginIdProblem(protocol, value);
  return problem ? { field, reason: problem } : null;
}

const METER_FIELDS = ['resource', 'unit', 'multiplier'] as const;
const OPCUA_FIELDS = ['endpointUrl', 'model'] as const;

type KindFields = {
  kind: DeviceKind; protocol: DeviceProtocol; loginId?: string | undefined; imei?: string | undefined; vehicleId?: string | undefined;
  resource?: EnergyResource | undefined; unit?: EnergyUnit | undefined; multiplier?: number | undefined;
  endpointUrl?: string | undefined; model?: string | undefined;
};

function checkKindRules(d: KindFields, ctx: z.RefinementCtx): void {
  if (!PROTOCOLS_BY_KIND[d.kind].includes(d.protocol)) {
    ctx.addIssue({ code: 'custom', path: ['protocol'], message: `a ${d.kind} speaks ${PROTOCOLS_BY_KIND[d.kind].join(', ')}` });
  }
  const issue = loginIdIssue(d.protocol, d);
  if (issue) ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.reason });
  if (logsInWithLoginId(d.protocol) && d.loginId === undefined && d.imei === undefined) {
    const { name, what } = LOGIN_ID_RULES[d.protocol];
    ctx.addIssue({ code: 'custom', path: ['loginId'], message: `a ${name} device logs in with its ${what}: give it as loginId` });
  }
  if (d.protocol !== 'opcua') {
    for (const f of OPCUA_FIELDS) if (d[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'only an OPC UA device (protocol "opcua") has it' });
  } else {
    if (!d.endpointUrl) ctx.addIssue({ code: 'custom', path: ['endpointUrl'], message: 'an OPC UA device needs the endpoint the hub connects to, e.g. opc.tcp://10.0.0.5:4840' });
    if (d.kind === 'lighting-controller' && !d.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'an OPC UA cabinet needs its controller model (PUT /api/v1/lighting/models/:modelId)' });
  }
  if (d.kind === 'tracker' && !d.vehicleId) ctx.addIssue({ code: 'custom', path: ['vehicleId'], message: 'a tracker needs the vehicle it is fitted to' });
  if (d.kind !== 'energy-meter') {
    for (const f of METER_FIELDS) if (d[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'only an energy-meter has it' });
  } else if (d.resource && d.unit && !UNITS_BY_RESOURCE[d.resource].includes(d.unit)) {
    ctx.addIssue({ code: 'custom', path: ['unit'], message: `a ${d.resource} meter counts in ${UNITS_BY_RESOURCE[d.resource].join(', ')}` });
  }
}

/** `POST /api/v1/devices`; the login id comes as `loginId` or under its older name `imei` (see `readLoginId`). */
export const DeviceCreate = z
  .strictObject({ id: DeviceId, kind: DeviceKind, protocol: DeviceProtocol, ...DeviceFields })
  .superRefine(checkKindRules);
export type DeviceCreate = z.infer<typeof DeviceCreate>;

/**
 * `PATCH /api/v1/devices/:id` — kind and protocol are fixed once registered; `rotateSecret` issues
 * a new secret. The login id is checked against the device's protocol by the route (see
 * `loginIdIssue`), since the body alone does not say the protocol.
 */
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
  loginId: z.string().nullable().describe('what the device logs in with: the IMEI (Teltonika, GT06) or the unit id (Wialon IPS); null when it logs in with id and secret'),
  imei: z.string().nullable().describe('the same value as loginId, under its older name'),
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
  /** OPC UA devices only */
  endpointUrl: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
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
