/**
 * Buildings from a CSV file, one per row, header first, columns in any order:
 *
 *     buildingId,name,type,areaM2,address,lat,lon
 *     school-5,Школа № 5,school,4200,"вул. Велика Перспективна, 10",48.51,32.26
 *
 * `type`: school, kindergarten, hospital, office, other; `areaM2`: heated area. A row for an id
 * that exists replaces the building. Pure: answered row by row.
 */
import { BuildingId, BuildingPut } from '../../contracts/energy.ts';
import { parseRecordCsv, type RecordRow } from './record-csv.ts';

export const BUILDING_COLUMNS = ['buildingId', 'name', 'type', 'areaM2', 'address', 'lat', 'lon'] as const;

export type BuildingRow = RecordRow<BuildingPut>;

export const parseBuildingsCsv = (text: string): BuildingRow[] =>
  parseRecordCsv(text, { columns: BUILDING_COLUMNS, required: ['buildingId', 'name', 'type', 'areaM2'], numeric: new Set(['areaM2', 'lat', 'lon']), id: BuildingId, record: BuildingPut });
