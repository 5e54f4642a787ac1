import type { BuildingPut, BuildingType } from '../../contracts/energy.ts';
import type { Db } from '../../registry/database.ts';

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

const toRecord = (r: Row): BuildingRecord => ({
  buildingId: r.id, name: r.name, type: r.type, areaM2: r.area_m2, address: r.address, lat: r.lat, lon: r.lon, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** The buildings of the energy domain, in the registry database. */
export class BuildingRepository {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  get(id: string): BuildingRecord | undefined {
    const row = this.db.prepare('SELECT * FROM energy_buildings WHERE id = ?').get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(): BuildingRecord[] {
    return (this.db.prepare('SELECT * FROM energy_buildings ORDER BY id').all() as Row[]).map(toRecord);
  }

  /** Creates or replaces a building; says which. */
  put(id: string, b: BuildingPut): { building: BuildingRecord; created: boolean } {
    const ts = new Date(this.now()).toISOString();
    const existing = this.get(id);
    this.db
      .prepare(`INSERT INTO energy_buildings (id, name, type, area_m2, address, lat, lon, created_at, updated_at)
                VALUES (@id, @name, @type, @areaM2, @address, @lat, @lon, @ts, @ts)
                ON CONFLICT(id) DO UPDATE SET name=@name, type=@type, area_m2=@areaM2, address=@address, lat=@lat, lon=@lon, updated_at=@ts`)
      .run({ id, name: b.name, type: b.type, areaM2: b.areaM2, address: b.address ?? null, lat: b.lat ?? null, lon: b.lon ?? null, ts });
    return { building: this.get(id)!, created: !existing };
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM energy_buildings WHERE id = ?').run(id).changes > 0;
  }
}
