/**
 * Register readings from a CSV file (entered by hand or exported from another system), one per
 * row, header first, columns in any order:
 *
 *     meterId,ts,value,unit[,powerW]
 *     EM-0001,2026-11-01T00:00:00+02:00,84211.52,kWh
 *
 * `ts` is ISO 8601 with a zone or epoch milliseconds; `value` the register (cumulative), `unit`
 * kWh, m3, Gcal or GJ. Each row is checked as an MQTT reading would be; the file is answered row
 * by row. Pure: the clock comes in as `now`.
 */
import { describeZodError, type DeviceMessage } from '../../contracts/decode.ts';
import { MAX_FUTURE_SKEW_MS } from '../../contracts/common.ts';
import { EnergyReadingPayload, type EnergyImportResult } from '../../contracts/energy.ts';
import { parseCsv } from '../../registry/csv.ts';

export const READING_COLUMNS = ['meterId', 'ts', 'value', 'unit'] as const;
const OPTIONAL_COLUMNS = ['powerW'] as const;
export const MAX_IMPORT_ROWS = 50_000;

type Row = EnergyImportResult['rows'][number];

/** A whole-file problem (no header, a missing or unknown column, too many rows). */
export class CsvFileError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

export function parseReadingsCsv(text: string, now: number, meterProblem: (meterId: string) => string | undefined): { messages: DeviceMessage[]; rows: Row[] } {
  const table = parseCsv(text);
  const header = table.shift();
  if (!header) throw new CsvFileError('header', 'the CSV is empty; the first line names the columns meterId,ts,value,unit');
  if (table.length > MAX_IMPORT_ROWS) throw new CsvFileError('rows', `at most ${MAX_IMPORT_ROWS} rows per import`);
  const columns = header.cells.map((c) => c.trim());
  const known = new Set<string>([...READING_COLUMNS, ...OPTIONAL_COLUMNS]);
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length) throw new CsvFileError(unknown[0]!, `unknown column; the columns are ${[...READING_COLUMNS, ...OPTIONAL_COLUMNS].join(', ')}`);
  const missing = READING_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new CsvFileError(missing[0]!, 'missing column');

  const messages: DeviceMessage[] = [];
  const rows: Row[] = [];
  for (const { line, cells } of table) {
    const cell = (name: string): string => (cells[columns.indexOf(name)] ?? '').trim();
    const meterId = cell('meterId') || null;
    const refuse = (error: string) => rows.push({ line, id: meterId, status: 'refused', error });
    if (!meterId) {
      refuse('meterId: missing');
      continue;
    }
    const problem = meterProblem(meterId);
    if (problem) {
      refuse(`meterId: ${problem}`);
      continue;
    }
    const num = (s: string): number | string => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : s);
    const record: Record<string, unknown> = { ts: /^\d+$/.test(cell('ts')) ? Number(cell('ts')) : cell('ts'), value: num(cell('value').replace(',', '.')), unit: cell('unit') };
    if (columns.includes('powerW') && cell('powerW') !== '') record.powerW = num(cell('powerW'));
    const parsed = EnergyReadingPayload.safeParse(record);
    if (!parsed.success) {
      refuse(describeZodError(parsed.error));
      continue;
    }
    if (parsed.data.ts > now + MAX_FUTURE_SKEW_MS) {
      refuse(`ts: ${new Date(parsed.data.ts).toISOString()} is in the future`);
      continue;
    }
    messages.push({ channel: 'energy-reading', deviceId: meterId, ts: parsed.data.ts, payload: parsed.data });
    rows.push({ line, id: meterId, status: 'accepted' });
  }
  return { messages, rows };
}
