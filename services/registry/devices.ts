import { readLoginId, type Device, type DeviceCreate, type DeviceKind, type DevicePatch, type DeviceProtocol, type EnergyResource, type EnergyUnit } from '../contracts/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { Db } from './database.ts';
import { hashSecret, newSecret, tokenDigest, verifySecret } from './secrets.ts';

/** A row of `devices`. The column `imei` holds the login id (it was named before Wialon unit ids came in). */
interface DeviceRow {
  id: string; kind: DeviceKind; protocol: DeviceProtocol; name: string | null; imei: string | null;
  vehicle_id: string | null; route_id: string | null; group_id: string | null; building_id: string | null;
  lat: number | null; lon: number | null; demo: number; enabled: number; secret_hash: string | null;
  created_at: string; updated_at: string;
  resource: EnergyResource | null; unit: EnergyUnit | null; multiplier: number | null;
  endpoint_url: string | null; model: string | null;
}

export class DeviceConflictError extends Error {
  constructor(readonly field: 'id' | 'loginId' | 'imei', message: string) {
    super(message);
  }
}

const toDevice = (r: DeviceRow): Device => ({
  id: r.id, kind: r.kind, protocol: r.protocol, name: r.name, loginId: r.imei, imei: r.imei, vehicleId: r.vehicle_id,
  routeId: r.route_id, groupId: r.group_id, buildingId: r.building_id, lat: r.lat, lon: r.lon,
  demo: r.demo === 1, enabled: r.enabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
  ...(r.kind === 'energy-meter' ? { resource: r.resource, unit: r.unit, multiplier: r.multiplier } : {}),
  ...(r.protocol === 'opcua' ? { endpointUrl: r.endpoint_url, model: r.model } : {}),
});

/**
 * The devices of the registry. Every device is also held in memory: ingest looks devices up on
 * each message, and the registry is small (a city's devices fit in a few MB).
 */
export class DeviceRegistry {
  private readonly byId = new Map<string, { device: Device; secretHash: string | null }>();
  /** `protocol:loginId` → device id */
  private readonly byLoginId = new Map<string, string>();
  /** sha256 of secrets that passed scrypt, so a reconnecting device costs no second scrypt */
  private readonly verified = new Map<string, string>();
  /** every device by id, sorted once per change: `list` is asked every few seconds for thousands */
  private sorted: Device[] | undefined;

  constructor(private readonly db: Db, private readonly audit: AuditLog, private readonly now: () => number) {
    for (const row of db.prepare('SELECT * FROM devices').all() as DeviceRow[]) this.cache(row);
  }

  private cache(row: DeviceRow): void {
    const device = toDevice(row);
    this.byId.set(device.id, { device, secretHash: row.secret_hash });
    this.sorted = undefined;
    if (device.loginId) this.byLoginId.set(`${device.protocol}:${device.loginId}`, device.id);
  }

  private uncache(id: string): void {
    const entry = this.byId.get(id);
    if (entry?.device.loginId) this.byLoginId.delete(`${entry.device.protocol}:${entry.device.loginId}`);
    this.byId.delete(id);
    this.sorted = undefined;
    this.verified.delete(id);
  }

  get(id: string): Device | undefined {
    return this.byId.get(id)?.device;
  }

  list(filter: { kind?: DeviceKind } = {}): Device[] {
    this.sorted ??= [...this.byId.values()].map((e) => e.device).sort((a, b) => a.id.localeCompare(b.id));
    return filter.kind ? this.sorted.filter((d) => d.kind === filter.kind) : [...this.sorted];
  }

  /** The device of `protocol` that logs in with `loginId` (an IMEI, or a Wialon unit id), matched exactly. */
  findByLoginId(protocol: DeviceProtocol, loginId: string): Device | undefined {
    const id = this.byLoginId.get(`${protocol}:${loginId}`);
    return id ? this.get(id) : undefined;
  }

  private loginIdTaken(protocol: DeviceProtocol, loginId: string, field: 'loginId' | 'imei'): DeviceConflictError {
    const what = field === 'imei' ? 'IMEI' : 'login id';
    return new DeviceConflictError(field, `${what} ${loginId} is already registered for ${protocol} (device "${this.findByLoginId(protocol, loginId)?.id}")`);
  }

  /**
   * Registers a device; MQTT devices get a secret, returned here and never again. The input is
   * trusted to have passed `DeviceCreate`; its login id comes as `loginId` or `imei`.
   */
  async create(input: DeviceCreate, actor: string): Promise<{ device: Device; secret?: string }> {
    if (this.byId.has(input.id)) throw new DeviceConflictError('id', `a device with id "${input.id}" is already registered`);
    const { value: loginId, field } = readLoginId(input);
    if (loginId && this.findByLoginId(input.protocol, loginId)) throw this.loginIdTaken(input.protocol, loginId, field);
    const secret = input.protocol === 'mqtt' ? newSecret() : undefined;
    const secretHash = secret ? await hashSecret(secret, 'secret') : null;
    // The await above yields: check again so two concurrent registrations of one id cannot both pass.
    if (this.byId.has(input.id)) throw new DeviceConflictError('id', `a device with id "${input.id}" is already registered`);
    if (loginId && this.findByLoginId(input.protocol, loginId)) throw this.loginIdTaken(input.protocol, loginId, field);
    const ts = new Date(this.now()).toISOString();
    const row: DeviceRow = {
      id: input.id, kind: input.kind, protocol: input.protocol, name: input.name ?? null, imei: loginId ?? null,
      vehicle_id: input.vehicleId ?? null, route_id: input.routeId ?? null, group_id: input.groupId ?? null,
      building_id: input.buildingId ?? null, lat: input.lat ?? null, lon: input.lon ?? null, demo: input.demo ? 1 : 0,
      enabled: 1, secret_hash: secretHash, created_at: ts, updated_at: ts,
      resource: input.resource ?? null, unit: input.unit ?? null, multiplier: input.multiplier ?? null,
      endpoint_url: input.endpointUrl ?? null, model: input.model ?? null,
    };
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO devices (id, kind, protocol, name, imei, vehicle_id, route_id, group_id, building_id, lat, lon, demo, enabled, secret_hash, created_at, updated_at, resource, unit, multiplier, endpoint_url, model)
                  VALUES (@id, @kind, @protocol, @name, @imei, @vehicle_id, @route_id, @group_id, @building_id, @lat, @lon, @demo, @enabled, @secret_hash, @created_at, @updated_at, @resource, @unit, @multiplier, @endpoint_url, @model)`)
        .run(row);
      this.audit.record(actor, 'device.create', input.id, { kind: input.kind, protocol: input.protocol });
    })();
    this.cache(row);
    return secret ? { device: toDevice(row), secret } : { device: toDevice(row) };
  }

  async update(id: string, patch: DevicePatch, actor: string): Promise<{ device: Device; secret?: string } | undefined> {
    const current = this.byId.get(id);
    if (!current) return undefined;
    const { device } = current;
    const { value: loginId, field } = readLoginId(patch);
    if (loginId && loginId !== device.loginId && this.findByLoginId(device.protocol, loginId)) throw this.loginIdTaken(device.protocol, loginId, field);
    const secret = patch.rotateSecret && device.protocol === 'mqtt' ? newSecret() : undefined;
    const secretHash = secret ? await hashSecret(secret, 'secret') : current.secretHash;
    const next: DeviceRow = {
      id, kind: device.kind, protocol: device.protocol,
      name: patch.name ?? device.name, imei: loginId ?? device.loginId, vehicle_id: patch.vehicleId ?? device.vehicleId,
      route_id: patch.routeId ?? device.routeId, group_id: patch.groupId ?? device.groupId,
      building_id: patch.buildingId ?? device.buildingId, lat: patch.lat ?? device.lat, lon: patch.lon ?? device.lon,
      demo: (patch.demo ?? device.demo) ? 1 : 0, enabled: (patch.enabled ?? device.enabled) ? 1 : 0,
      secret_hash: secretHash, created_at: device.createdAt, updated_at: new Date(this.now()).toISOString(),
      resource: patch.resource ?? device.resource ?? null, unit: patch.unit ?? device.unit ?? null, multiplier: patch.multiplier ?? device.multiplier ?? null,
      endpoint_url: patch.endpointUrl ?? device.endpointUrl ?? null, model: patch.model ?? device.model ?? null,
    };
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE devices SET name=@name, imei=@imei, vehicle_id=@vehicle_id, route_id=@route_id, group_id=@group_id,
                  building_id=@building_id, lat=@lat, lon=@lon, demo=@demo, enabled=@enabled, secret_hash=@secret_hash,
                  updated_at=@updated_at, resource=@resource, unit=@unit, multiplier=@multiplier, endpoint_url=@endpoint_url, model=@model WHERE id=@id`)
        .run(next);
      const { rotateSecret, ...changed } = patch;
      this.audit.record(actor, 'device.update', id, { ...changed, ...(rotateSecret ? { secretRotated: true } : {}) });
    })();
    this.uncache(id);
    this.cache(next);
    return secret ? { device: toDevice(next), secret } : { device: toDevice(next) };
  }

  remove(id: string, actor: string): boolean {
    if (!this.byId.has(id)) return false;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM devices WHERE id = ?').run(id);
      this.audit.record(actor, 'device.delete', id);
    })();
    this.uncache(id);
    return true;
  }

  /** MQTT authentication of a device: enabled, MQTT protocol, and the right secret. */
  async authenticate(id: string, secret: string): Promise<Device | undefined> {
    const entry = this.byId.get(id);
    if (!entry || !entry.device.enabled || !entry.secretHash) return undefined;
    const digest = tokenDigest(secret);
    if (this.verified.get(id) === digest) return entry.device;
    const secretHash = entry.secretHash;
    if (!(await verifySecret(secret, secretHash))) return undefined;
    // Only cache if the secret was not rotated while scrypt ran.
    if (this.byId.get(id)?.secretHash === secretHash) this.verified.set(id, digest);
    return entry.device;
  }
}
