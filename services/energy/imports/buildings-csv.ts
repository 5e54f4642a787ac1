/**
 * Buildings from a CSV file, one per row, header first, columns in any order:
 *
 *     buildingId,name,type,areaM2,address,lat,lon
 *     school-5,Школа № 5,school,4200,"вул. Велика Перспективна, 10",48.51,32.26
 *
 * `type`: school, kindergarten, hospital, office, other; `areaM2`: heated area. A row for an id
 * that exists replaces the building. Pure: answered row by row.
 */
import { describeZodError } from '../../contracts/decode.ts';
import { BuildingId, BuildingPut } from '../../contracts/energy.ts';
import { parseCsv } from '../../registry/csv.ts';
import { CsvFileError, MAX_IMPORT_ROWS } from './readings-csv.ts';

export const BUILDING_COLUMNS = ['buildingId', 'name', 'type', 'areaM2', 'address', 'lat', 'lon'] as const;
const REQUIRED = ['buildingId', 'name', 'type', 'areaM2'] as const;
const NUMERIC = new Set(['areaM2', 'lat', 'lon']);

export type BuildingRow = { line: number; id: string | null } & ({ ok: true; building: BuildingPut } | { ok: false; error: string });

export function parseBuildingsCsv(text: string): BuildingRow[] {
  const table = parseCsv(text);
  const header = table.shift();
  if (!header) throw new CsvFileError('header', `the CSV is empty; the first line names the columns ${BUILDING_COLUMNS.join(',')}`);
  if (table.length > MAX_IMPORT_ROWS) throw new CsvFileError('rows', `at most ${MAX_IMPORT_ROWS} rows per import`);
  const columns = header.cells.map((c) => c.trim());
  const unknown = columns.filter((c) => !(BUILDING_COLUMNS as readonly string[]).includes(c));
  if (unknown.length) throw new CsvFileError(unknown[0]!, `unknown column; the columns are ${BUILDING_COLUMNS.join(', ')}`);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) throw new CsvFileError(missing[0]!, 'missing column');
  return table.map(({ line, cells }) => {
    const record: Record<string, unknown> = {};
    let id: string | null = null;
    columns.forEach((col, i) => {
      const raw = (cells[i] ?? '').trim();
      if (raw === '') return;
      if (col === 'buildingId') id = raw;
      else record[col] = NUMERIC.has(col) && Number.isFinite(Number(raw.replace(',', '.'))) ? Number(raw.replace(',', '.')) : raw;
    });
    if (id === null) return { line, id, ok: false, error: 'buildingId: missing' };
    const idCheck = BuildingId.safeParse(id);
    if (!idCheck.success) return { line, id, ok: false, error: `buildingId: ${idCheck.error.issues[0]!.message}` };
    const parsed = BuildingPut.safeParse(record);
    return parsed.success ? { line, id, ok: true, building: parsed.data } : { line, id, ok: false, error: describeZodError(parsed.error) };
  });
}
