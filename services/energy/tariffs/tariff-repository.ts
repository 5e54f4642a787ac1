import type { EnergyResource, EnergyUnit, Tariff, TariffPut, TariffZonePut } from '../../contracts/energy.ts';
import type { Db } from '../../registry/database.ts';
import { overlappingTariff, zonePriceUAH } from './pricing.ts';

interface Row {
  id: string; resource: EnergyResource; unit: EnergyUnit; price_uah: number; valid_from: string; valid_to: string | null;
  note: string | null; zones: string | null; updated_at: string; updated_by: string | null;
}

const toTariff = (r: Row): Tariff => {
  const zones = r.zones ? (JSON.parse(r.zones) as TariffZonePut[]) : null;
  return {
    tariffId: r.id, resource: r.resource, unit: r.unit, priceUAH: r.price_uah, validFrom: r.valid_from, validTo: r.valid_to, note: r.note,
    // The zones as given, each with its price per unit resolved (a coefficient × the tariff's price; to a millionth: 6 × 0.4 is not 2.4000000000000004).
    zones: zones ? zones.map((z) => ({ zone: z.zone, hours: z.hours, priceUAH: Math.round(zonePriceUAH({ priceUAH: r.price_uah }, z) * 1e6) / 1e6, coefficient: z.coefficient ?? null })) : null,
    updatedAt: r.updated_at, updatedBy: r.updated_by,
  };
};

/** A tariff whose dates overlap another of the same resource. */
export class TariffOverlapError extends Error {
  constructor(readonly other: Tariff) {
    super(`overlaps tariff "${other.tariffId}" (${other.resource}, ${other.validFrom} – ${other.validTo ?? 'open-ended'})`);
  }
}

/** The tariffs of the energy domain, in the registry database. */
export class TariffRepository {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  list(resource?: EnergyResource): Tariff[] {
    const rows = resource
      ? this.db.prepare('SELECT * FROM energy_tariffs WHERE resource = ? ORDER BY resource, valid_from').all(resource)
      : this.db.prepare('SELECT * FROM energy_tariffs ORDER BY resource, valid_from').all();
    return (rows as Row[]).map(toTariff);
  }

  get(id: string): Tariff | undefined {
    const row = this.db.prepare('SELECT * FROM energy_tariffs WHERE id = ?').get(id) as Row | undefined;
    return row ? toTariff(row) : undefined;
  }

  /** Creates or replaces a tariff; throws TariffOverlapError when its dates overlap another of its resource. */
  put(id: string, t: TariffPut, actor: string): { tariff: Tariff; created: boolean } {
    return this.db.transaction(() => {
      const clash = overlappingTariff(this.list(t.resource), { tariffId: id, resource: t.resource, unit: t.unit, priceUAH: t.priceUAH, validFrom: t.validFrom, validTo: t.validTo ?? null });
      if (clash) throw new TariffOverlapError(clash);
      const existing = this.get(id);
      this.db
        .prepare(`INSERT INTO energy_tariffs (id, resource, unit, price_uah, valid_from, valid_to, note, zones, updated_at, updated_by)
                  VALUES (@id, @resource, @unit, @price, @validFrom, @validTo, @note, @zones, @ts, @actor)
                  ON CONFLICT(id) DO UPDATE SET resource=@resource, unit=@unit, price_uah=@price, valid_from=@validFrom, valid_to=@validTo,
                    note=@note, zones=@zones, updated_at=@ts, updated_by=@actor`)
        .run({
          id, resource: t.resource, unit: t.unit, price: t.priceUAH, validFrom: t.validFrom, validTo: t.validTo ?? null, note: t.note ?? null,
          zones: t.zones ? JSON.stringify(t.zones) : null, ts: new Date(this.now()).toISOString(), actor,
        });
      return { tariff: this.get(id)!, created: !existing };
    })();
  }

  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM energy_tariffs WHERE id = ?').run(id).changes > 0;
  }
}
