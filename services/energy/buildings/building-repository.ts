import type { BuildingPut, BuildingType } from '../../contracts/energy.ts';
import { KeyedCachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';

export interface BuildingRecord {
  buildingId: string;
  name: string;
  type: BuildingType;
  areaM2: number;
  address: string | null;
  lat: number | null;
  lon: number | null;
  createdAt: string;
  updatedAt: string;
}

interface Row { id: string; name: string; type: BuildingType; area_m2: number; address: string | null; lat: number | null; lon: number | null; created_at: string; updated_at: string }

const TABLE = 'energy_buildings';

const toRecord = (r: Row): BuildingRecord => ({
  buildingId: r.id, name: r.name, type: r.type, areaM2: r.area_m2, address: r.address, lat: r.lat, lon: r.lon, createdAt: r.created_at, updatedAt: r.updated_at,
});

/**
 * The buildings of the energy domain, in the shared domain tables (PostgreSQL in a cluster). Every
 * building is held in memory (reports and aggregates read them all, synchronously), written
 * through, and reloaded when another instance changes one. Call `load()` before use.
 */
export class BuildingRepository extends KeyedCachedTable<string, Row, BuildingRecord> {
  constructor(db: DomainTables, private readonly now: () => number, onError?: (err: Error) => void) {
    super(db, TABLE, String, toRecord, onError);
  }

  get(id: string): BuildingRecord | undefined {
    return this.byId.get(id);
  }

  list(): BuildingRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.buildingId < b.buildingId ? -1 : a.buildingId > b.buildingId ? 1 : 0));
  }

  /** Creates or replaces a building; says which. */
  async put(id: string, b: BuildingPut): Promise<{ building: BuildingRecord; created: boolean }> {
    const ts = new Date(this.now()).toISOString();
    const { row, created } = await this.db.transaction(async (tx) => {
      const existed = (await tx.query(`SELECT 1 FROM ${TABLE} WHERE id = $1`, [id])).rows.length > 0;
      const r = (await tx.query<Row>(
        `INSERT INTO ${TABLE} (id, name, type, area_m2, address, lat, lon, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (id) DO UPDATE SET name = $2, type = $3, area_m2 = $4, address = $5, lat = $6, lon = $7, updated_at = $8 RETURNING *`,
        [id, b.name, b.type, b.areaM2, b.address ?? null, b.lat ?? null, b.lon ?? null, ts],
      )).rows[0]!;
      await tableChanged(this.db, tx, TABLE, [id]);
      return { row: r, created: !existed };
    });
    const building = toRecord(row);
    this.byId.set(id, building);
    return { building, created };
  }

  remove(id: string): Promise<boolean> {
    return this.deleteRow(id);
  }
}
