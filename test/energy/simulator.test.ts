import { describe, expect, it } from 'vitest';
import { WeatherPayload } from '../../services/contracts/index.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import { hourlyConsumption, sumIntervals } from '../../services/energy/consumption/registers.ts';
import { EnergyMeterModel, historyReadings, meterSpecFor, outdoorTempC, weatherReading } from '../../simulators/city/energy-model.ts';
import { kyivTime } from '../../simulators/city/kyiv-time.ts';

describe('the simulated city for energy', () => {
  it('a weather station swings around the day mean the heat meters answer to, and its payload passes the contract', () => {
    const day = localIntervals('2026-01-15', '2026-01-16', 'day', 'Europe/Kyiv')[0]!;
    const temps: number[] = [];
    for (let ms = day.start; ms < day.end; ms += 3_600_000) {
      const p = weatherReading(ms + 1_800_000);
      expect(WeatherPayload.safeParse(p).success).toBe(true);
      temps.push(p.temperatureC);
    }
    const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
    expect(mean).toBeCloseTo(outdoorTempC(kyivTime(day.start + 12 * 3_600_000).dayIndex), 0);
    expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(6);
  });

  it("a year of a school heat meter's history rolls up to more heat in January than in July", () => {
    const model = new EnergyMeterModel(meterSpecFor({ id: 'HM-school-1-heat', buildingId: 'school-1', name: 'тепло' }, 1));
    const from = Date.parse('2025-01-01T00:00:00+02:00');
    const to = Date.parse('2026-01-01T00:00:00+02:00');
    const readings = [...historyReadings(model, from, to, 3_600_000)].map((r) => ({ ts: Date.parse(r.ts as string), value: r.value, unit: r.unit }));
    expect(readings).toHaveLength(8760);
    const { hours, steps } = hourlyConsumption(readings, { tz: 'Europe/Kyiv', unit: readings[0]!.unit });
    expect(steps.every((s) => s.kind === 'delta' && !s.estimated)).toBe(true);
    const months = sumIntervals(hours, localIntervals('2025-01-01', '2026-01-01', 'month', 'Europe/Kyiv'));
    expect(months[0]!.value!).toBeGreaterThan(3 * (months[6]!.value ?? 0));
  });
});
