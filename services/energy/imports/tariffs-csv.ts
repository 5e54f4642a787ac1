/**
 * Tariffs from a CSV file, one per row, header first, columns in any order:
 *
 *     tariffId,resource,unit,priceUAH,validFrom,validTo,note
 *     el-2026,electricity,kWh,4.32,2026-01-01,,for budget institutions
 *
 * `validTo` (exclusive) may be empty: open-ended. A row for an id that exists replaces the
 * tariff. Pure: answered row by row (overlaps are checked when the rows are applied, in order).
 */
import { TariffId, TariffPut } from '../../contracts/energy.ts';
import { parseRecordCsv, type RecordRow } from './record-csv.ts';

export const TARIFF_COLUMNS = ['tariffId', 'resource', 'unit', 'priceUAH', 'validFrom', 'validTo', 'note'] as const;

export type TariffRow = RecordRow<TariffPut>;

export const parseTariffsCsv = (text: string): TariffRow[] =>
  parseRecordCsv(text, { columns: TARIFF_COLUMNS, required: ['tariffId', 'resource', 'unit', 'priceUAH', 'validFrom'], numeric: new Set(['priceUAH']), id: TariffId, record: TariffPut });
