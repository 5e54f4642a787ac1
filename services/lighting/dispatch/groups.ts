import { LightingSchedule, type LightingGroup, type LightingGroupPut } from '../../contracts/index.ts';
import { CachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';

/** The notices of groups, their members and schedules go on this table's name, by group id. */
const TABLE = 'lighting_groups';

interface Group { name: string; updatedAt: number }

/**
 * Groups of cabinets and their schedules, in the shared domain tables (PostgreSQL in a cluster).
 * Held in memory (the scheduler reads them every pass, live state looks a cabinet's group up per
 * message), written through, reloaded by group when another instance changes one. Call `load()` first.
 */
export class Groups extends CachedTable {
  private readonly groups = new Map<string, Group>();
  /** controllerId → groupId */
  private readonly members = new Map<string, string>();
  private readonly schedulesOf = new Map<string, LightingSchedule>();

  /** `onRemoteChange`: another instance changed groups (the scheduler takes them at once). */
  constructor(db: DomainTables, onRemoteChange?: () => void, onError?: (err: Error) => void) {
    super(db, TABLE, onError, onRemoteChange);
  }

  protected async reload(ids: string[] | undefined): Promise<void> {
    const where = ids === undefined ? '' : ' WHERE group_id = $1';
    for (const id of ids ?? [undefined]) {
      const params = id === undefined ? [] : [id];
      const groups = (await this.db.query<{ id: string; name: string; updated_at: number }>(`SELECT * FROM lighting_groups${id === undefined ? '' : ' WHERE id = $1'}`, params)).rows;
      const members = (await this.db.query<{ controller_id: string; group_id: string }>(`SELECT controller_id, group_id FROM lighting_group_members${where}`, params)).rows;
      const schedules = (await this.db.query<{ group_id: string; body: string }>(`SELECT group_id, body FROM lighting_schedules${where}`, params)).rows;
      if (id === undefined) {
        this.groups.clear();
        this.members.clear();
        this.schedulesOf.clear();
      } else {
        this.groups.delete(id);
        this.schedulesOf.delete(id);
        for (const [c, g] of this.members) if (g === id) this.members.delete(c);
      }
      for (const g of groups) this.groups.set(g.id, { name: g.name, updatedAt: Number(g.updated_at) });
      for (const m of members) this.members.set(m.controller_id, m.group_id);
      for (const s of schedules) this.schedulesOf.set(s.group_id, LightingSchedule.parse(JSON.parse(s.body)));
    }
  }

  /** Creates or replaces a group; its cabinets leave any other group. Returns the cabinets that moved from another group. */
  async put(groupId: string, body: LightingGroupPut, nowMs: number): Promise<{ moved: { controllerId: string; from: string }[] }> {
    const moved = await this.db.transaction(async (tx) => {
      const out: { controllerId: string; from: string }[] = [];
      for (const id of body.controllerIds) {
        const row = (await tx.query<{ group_id: string }>('SELECT group_id FROM lighting_group_members WHERE controller_id = $1', [id])).rows[0];
        if (row && row.group_id !== groupId) out.push({ controllerId: id, from: row.group_id });
      }
      await tx.query('INSERT INTO lighting_groups (id, name, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at', [groupId, body.name, nowMs]);
      await tx.query('DELETE FROM lighting_group_members WHERE group_id = $1', [groupId]);
      for (const id of body.controllerIds) {
        await tx.query('INSERT INTO lighting_group_members (controller_id, group_id) VALUES ($1, $2) ON CONFLICT (controller_id) DO UPDATE SET group_id = excluded.group_id', [id, groupId]);
      }
      await tableChanged(this.db, tx, TABLE, [groupId, ...new Set(out.map((m) => m.from))]);
      return out;
    });
    this.groups.set(groupId, { name: body.name, updatedAt: nowMs });
    for (const [c, g] of this.members) if (g === groupId) this.members.delete(c);
    for (const id of body.controllerIds) this.members.set(id, groupId);
    return { moved };
  }

  async delete(groupId: string): Promise<boolean> {
    const deleted = await this.db.transaction(async (tx) => {
      const n = (await tx.query('DELETE FROM lighting_groups WHERE id = $1', [groupId])).rowCount;
      if (n) await tableChanged(this.db, tx, TABLE, [groupId]);
      return n > 0;
    });
    // Members and schedule go with it (ON DELETE CASCADE).
    this.groups.delete(groupId);
    this.schedulesOf.delete(groupId);
    for (const [c, g] of this.members) if (g === groupId) this.members.delete(c);
    return deleted;
  }

  get(groupId: string): LightingGroup | undefined {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    const ids = [...this.members].filter(([, gid]) => gid === groupId).map(([c]) => c).sort();
    return { groupId, name: g.name, controllerIds: ids, hasSchedule: this.schedulesOf.has(groupId), updatedAt: new Date(g.updatedAt).toISOString() };
  }

  list(): LightingGroup[] {
    return [...this.groups.keys()].sort().map((id) => this.get(id)!);
  }

  /** controllerId → groupId for every cabinet in a group. */
  membership(): Map<string, string> {
    return new Map(this.members);
  }

  async putSchedule(groupId: string, schedule: LightingSchedule, actor: string, nowMs: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO lighting_schedules (group_id, body, updated_at, updated_by) VALUES ($1, $2, $3, $4) ON CONFLICT (group_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
        [groupId, JSON.stringify(schedule), nowMs, actor]);
      await tableChanged(this.db, tx, TABLE, [groupId]);
    });
    this.schedulesOf.set(groupId, LightingSchedule.parse(JSON.parse(JSON.stringify(schedule))));
  }

  schedule(groupId: string): LightingSchedule | undefined {
    return this.schedulesOf.get(groupId);
  }

  /** Every group's schedule, parsed once (the scheduler asks every few seconds). */
  schedules(): Map<string, LightingSchedule> {
    return new Map(this.schedulesOf);
  }
}
