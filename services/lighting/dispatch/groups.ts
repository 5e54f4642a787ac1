import { LightingSchedule, type LightingGroup, type LightingGroupPut } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';

interface GroupRow { id: string; name: string; updated_at: number; has_schedule: number }

/** Groups of cabinets and their schedules, in the registry. */
export class Groups {
  constructor(private readonly db: Db) {}

  /** Creates or replaces a group; its cabinets leave any other group. Returns the cabinets that moved from another group. */
  put(groupId: string, body: LightingGroupPut, nowMs: number): { moved: { controllerId: string; from: string }[] } {
    return this.db.transaction(() => {
      const moved: { controllerId: string; from: string }[] = [];
      const find = this.db.prepare('SELECT group_id FROM lighting_group_members WHERE controller_id = ?');
      for (const id of body.controllerIds) {
        const row = find.get(id) as { group_id: string } | undefined;
        if (row && row.group_id !== groupId) moved.push({ controllerId: id, from: row.group_id });
      }
      this.db.prepare('INSERT INTO lighting_groups (id, name, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at')
        .run(groupId, body.name, nowMs);
      this.db.prepare('DELETE FROM lighting_group_members WHERE group_id = ?').run(groupId);
      const add = this.db.prepare('INSERT INTO lighting_group_members (controller_id, group_id) VALUES (?, ?) ON CONFLICT (controller_id) DO UPDATE SET group_id = excluded.group_id');
      for (const id of body.controllerIds) add.run(id, groupId);
      return { moved };
    })();
  }

  delete(groupId: string): boolean {
    return this.db.prepare('DELETE FROM lighting_groups WHERE id = ?').run(groupId).changes > 0;
  }

  get(groupId: string): LightingGroup | undefined {
    const row = this.db.prepare(`SELECT g.*, EXISTS (SELECT 1 FROM lighting_schedules s WHERE s.group_id = g.id) AS has_schedule FROM lighting_groups g WHERE id = ?`).get(groupId) as GroupRow | undefined;
    return row && this.toGroup(row);
  }

  list(): LightingGroup[] {
    const rows = this.db.prepare(`SELECT g.*, EXISTS (SELECT 1 FROM lighting_schedules s WHERE s.group_id = g.id) AS has_schedule FROM lighting_groups g ORDER BY id`).all() as GroupRow[];
    return rows.map((r) => this.toGroup(r));
  }

  /** controllerId → groupId for every cabinet in a group. */
  membership(): Map<string, string> {
    const rows = this.db.prepare('SELECT controller_id, group_id FROM lighting_group_members').all() as { controller_id: string; group_id: string }[];
    return new Map(rows.map((r) => [r.controller_id, r.group_id]));
  }

  putSchedule(groupId: string, schedule: LightingSchedule, actor: string, nowMs: number): void {
    this.db.prepare('INSERT INTO lighting_schedules (group_id, body, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
      .run(groupId, JSON.stringify(schedule), nowMs, actor);
  }

  schedule(groupId: string): LightingSchedule | undefined {
    const row = this.db.prepare('SELECT body FROM lighting_schedules WHERE group_id = ?').get(groupId) as { body: string } | undefined;
    return row && LightingSchedule.parse(JSON.parse(row.body));
  }

  /** Every group's schedule, parsed once (the scheduler asks every few seconds). */
  schedules(): Map<string, LightingSchedule> {
    const rows = this.db.prepare('SELECT group_id, body FROM lighting_schedules').all() as { group_id: string; body: string }[];
    return new Map(rows.map((r) => [r.group_id, LightingSchedule.parse(JSON.parse(r.body))]));
  }

  private toGroup(r: GroupRow): LightingGroup {
    const ids = (this.db.prepare('SELECT controller_id FROM lighting_group_members WHERE group_id = ? ORDER BY controller_id').all(r.id) as { controller_id: string }[]).map((x) => x.controller_id);
    return { groupId: r.id, name: r.name, controllerIds: ids, hasSchedule: r.has_schedule === 1, updatedAt: new Date(r.updated_at).toISOString() };
  }
}
