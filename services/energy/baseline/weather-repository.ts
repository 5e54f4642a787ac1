import type { Statement } from 'better-sqlite3';
import type { Db } from '../../registry/database.ts';
import { HOUR_MS } from '../consumption/local-time.ts';
import type { HourTemperature } from './degree-days.ts';

/**
 * Outdoor temperatures from weather stations, kept by the energy domain as they arrive (they
 * are not telemetry the history store keeps). Hourly means over every station: the city has one
 * climate. Hours are UTC hours, which are local hours in a zone checkZone accepts.
 */
export class WeatherRepository {
  private readonly put: Statement;
  private readonly hourly: Statement;

  constructor(db: Db) {
    this.put = db.prepare('INSERT OR REPLACE INTO energy_weather (station_id, ts, temperature_c) VALUES (?, ?, ?)');
    this.hourly = db.prepare(`SELECT ts - (ts % ${HOUR_MS}) AS start, AVG(temperature_c) AS meanC FROM energy_weather
                              WHERE ts >= ? AND ts < ? GROUP BY start ORDER BY start`);
  }

  keep(stationId: string, ts: number, temperatureC: number): void {
    this.put.run(stationId, ts, temperatureC);
  }

  hourlyMeans(from: number, to: number): HourTemperature[] {
    return this.hourly.all(from, to) as HourTemperature[];
  }
}
