/**
 * Records (buildings, tariffs) from a CSV file: a header naming the columns in any order, one
 * record a row keyed by an id column, each row checked against the record's schema. Pure:
 * answered row by row.
 */
import type { z } from 'zod';
import { describeZodError } from '../../contracts/decode.ts';
import { parseCsv } from '../../registry/csv.ts';
import { CsvFileError, MAX_IMPORT_ROWS } from './readings-csv.ts';

export type RecordRow<T> = { line: number; id: string | null } & ({ ok: true; record: T } | { ok: false; error: string });

export interface RecordCsvShape<T> {
  columns: readonly string[];
  /** the id column (first of `columns`) and the other columns every file must have */
  required: readonly string[];
  /** columns read as numbers (a decimal comma is accepted) */
  numeric: ReadonlySet<string>;
  id: z.ZodType<string>;
  record: z.ZodType<T>;
}

export function parseRecordCsv<T>(text: string, shape: RecordCsvShape<T>): RecordRow<T>[] {
  const idColumn = shape.columns[0]!;
  const table = parseCsv(text);
  const header = table.shift();
  if (!header) throw new CsvFileError('header', `the CSV is empty; the first line names the columns ${shape.columns.join(',')}`);
  if (table.length > MAX_IMPORT_ROWS) throw new CsvFileError('rows', `at most ${MAX_IMPORT_ROWS} rows per import`);
  const columns = header.cells.map((c) => c.trim());
  const unknown = columns.filter((c) => !shape.columns.includes(c));
  if (unknown.length) throw new CsvFileError(unknown[0]!, `unknown column; the columns are ${shape.columns.join(', ')}`);
  const missing = shape.required.filter((c) => !columns.includes(c));
  if (missing.length) throw new CsvFileError(missing[0]!, 'missing column');
  return table.map(({ line, cells }) => {
    const record: Record<string, unknown> = {};
    let id: string | null = null;
    columns.forEach((col, i) => {
      const raw = (cells[i] ?? '').trim();
      if (raw === '') return;
      if (col === idColumn) id = raw;
      else record[col] = shape.numeric.has(col) && Number.isFinite(Number(raw.replace(',', '.'))) ? Number(raw.replace(',', '.')) : raw;
    });
    if (id === null) return { line, id, ok: false, error: `${idColumn}: missing` };
    const idCheck = shape.id.safeParse(id);
    if (!idCheck.success) return { line, id, ok: false, error: `${idColumn}: ${idCheck.error.issues[0]!.message}` };
    const parsed = shape.record.safeParse(record);
    return parsed.success ? { line, id, ok: true, record: parsed.data } : { line, id, ok: false, error: describeZodError(parsed.error) };
  });
}
