import { readLoginId, type Device, type DeviceCreate, type DeviceKind, type DevicePatch, type DeviceProtocol, type EnergyResource, type EnergyUnit } from '../contracts/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { RegistryDb, RegistrySql } from './registry-db.ts';
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

const COLUMNS = ['id', 'kind', 'protocol', 'name', 'imei', 'vehicle_id', 'route_id', 'group_id', 'building_id', 'lat', 'lon', 'demo', 'enabled', 'secret_hash', 'created_at', 'updated_at', 'resource', 'unit', 'multiplier', 'endpoint_url', 'model'] as const satisfies readonly (keyof DeviceRow)[];
const INSERT = `INSERT INTO devices (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
/** every column but id, created_at and the unchangeable kind and protocol; id comes last */
const CHANGEABLE = COLUMNS.filter((c) => !['id', 'kind', 'protocol', 'created_at'].includes(c));
const UPDATE = `UPDATE devices SET ${CHANGEABLE.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE id = $${CHANGEABLE.length + 1}`;

/**
 * Which unique rule an INSERT or UPDATE broke, when another instance registered the same id or
 * login id a moment before this one's cache heard of it (SQLite and PostgreSQL word it apart).
 */
function uniqueViolation(err: unknown): 'id' | 'loginId' | undefined {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505') return e.constraint === 'devices_pkey' ? 'id' : 'loginId';
  if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'id';
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') return e.message?.includes('devices.imei') ? 'loginId' : 'id';
  return undefined;
}

/** What changed about a device on another instance, for the hub to act on (end a connection, drop live state). */
export interface RemoteDeviceChange {
  before: Device | undefined;
  after: Device | undefined;
  /** the secret was rotated, or the device disabled or removed: its open connections must end */
  credentialsChanged: boolean;
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

  private readonly remoteListeners = new Set<(change: RemoteDeviceChange) => void>();
  /** refreshes from other instances' notices, one after another, so an older read never wins */
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(private readonly db: RegistryDb, private readonly audit: AuditLog, private readonly now: () => number) {}

  /** Reads every device into memory and follows the changes other instances make. */
  static async open(db: RegistryDb, audit: AuditLog, now: () => number, onError: (err: Error) => void = () => {}): Promise<DeviceRegistry> {
    const registry = new DeviceRegistry(db, audit, now);
    for (const row of (await db.query<DeviceRow>('SELECT * FROM devices')).rows) registry.cache(row);
    db.onChange((change) => {
      if (change !== 'resync' && change.kind !== 'device') return;
      registry.refreshing = registry.refreshing
        .then(() => (change === 'resync' ? registry.reloadAll() : registry.reload(change.id)))
        .catch(onError);
    });
    return registry;
  }

  /** Calls `listener` after a change another instance made reached this one's cache. Returns the unsubscribe. */
  onRemoteChange(listener: (change: RemoteDeviceChange) => void): () => void {
    this.remoteListeners.add(listener);
    return () => this.remoteListeners.delete(listener);
  }

  /** Resolves once the changes heard of so far are in the cache (for tests and orderly shutdown). */
  settled(): Promise<void> {
    return this.refreshing;
  }

  private async reload(id: string): Promise<void> {
    const { rows } = await this.db.query<DeviceRow>('SELECT * FROM devices WHERE id = $1', [id]);
    this.replace(id, rows[0]);
  }

  private async reloadAll(): Promise<void> {
    const { rows } = await this.db.query<DeviceRow>('SELECT * FROM devices');
    const ids = new Set([...this.byId.keys(), ...rows.map((r) => r.id)]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      const row = byId.get(id);
      const cached = this.byId.get(id);
      if (row && cached && row.updated_at === cached.device.updatedAt && row.secret_hash === cached.secretHash) continue;
      this.replace(id, row);
    }
  }

  private replace(id: string, row: DeviceRow | undefined): void {
    const before = this.byId.get(id);
    this.uncache(id);
    if (row) this.cache(row);
    const after = this.byId.get(id);
    if (!before && !after) return;
    const credentialsChanged = !after || !after.device.enabled || after.secretHash !== before?.secretHash;
    for (const l of this.remoteListeners) l({ before: before?.device, after: after?.device, credentialsChanged });
  }

  /** Runs a change in a transaction with its audit entry and its notice to other instances. */
  private async write(id: string, change: (tx: RegistrySql) => Promise<void>, fields: { loginIdField: 'loginId' | 'imei'; describe: () => string }): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await change(tx);
        await this.db.notify(tx, { kind: 'device', id });
      });
    } catch (err) {
      const which = uniqueViolation(err);
      if (which === 'id') throw new DeviceConflictError('id', `a device with id "${id}" is already registered`);
      if (which === 'loginId') throw new DeviceConflictError(fields.loginIdField, fields.describe());
      throw err;
    }
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

  /**
   * A device by id for an operator's request: from memory, or — on a shared database, when
   * another instance registered it a moment ago and its notice has not come yet — read from the
   * table (and kept). Ingest looks up with `get` alone: a message must not wait for a database.
   */
  async find(id: string): Promise<Device | undefined> {
    const cached = this.byId.get(id);
    if (cached || this.db.dialect !== 'postgres') return cached?.device;
    await this.reload(id);
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
    await this.write(input.id, async (tx) => {
      await tx.query(INSERT, COLUMNS.map((c) => row[c]));
      await this.audit.recordIn(tx, actor, 'device.create', input.id, { kind: input.kind, protocol: input.protocol });
    }, { loginIdField: field, describe: () => `${field === 'imei' ? 'IMEI' : 'login id'} ${loginId} is already registered for ${input.protocol} (on another instance)` });
    this.cache(row);
    return secret ? { device: toDevice(row), secret } : { device: toDevice(row) };
  }

  async update(id: string, patch: DevicePatch, actor: string): Promise<{ device: Device; secret?: string } | undefined> {
    if (!(await this.find(id))) return undefined;
    const current = this.byId.get(id)!;
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
    let gone = false;
    await this.write(id, async (tx) => {
      // No row: another instance removed the device a moment ago, before its notice came.
      gone = (await tx.query(UPDATE, [...CHANGEABLE.map((c) => next[c]), id])).rowCount === 0;
      if (gone) return;
      const { rotateSecret, ...changed } = patch;
      await this.audit.recordIn(tx, actor, 'device.update', id, { ...changed, ...(rotateSecret ? { secretRotated: true } : {}) });
    }, { loginIdField: field, describe: () => `${field === 'imei' ? 'IMEI' : 'login id'} ${loginId} is already registered for ${device.protocol} (on another instance)` });
    this.uncache(id);
    if (gone) return undefined;
    this.cache(next);
    return secret ? { device: toDevice(next), secret } : { device: toDevice(next) };
  }

  async remove(id: string, actor: string): Promise<boolean> {
    if (!(await this.find(id))) return false;
    let removed = false;
    await this.write(id, async (tx) => {
      removed = (await tx.query('DELETE FROM devices WHERE id = $1', [id])).rowCount > 0;
      if (removed) await this.audit.recordIn(tx, actor, 'device.delete', id);
    }, { loginIdField: 'loginId', describe: () => '' });
    this.uncache(id);
    return removed;
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
