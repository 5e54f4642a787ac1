/**
 * CSV as GTFS writes it (RFC 4180): comma-separated, fields optionally in double quotes, a quote
 * inside quotes doubled, line breaks LF or CRLF (also inside quoted fields), a UTF-8 BOM allowed.
 * Each record keeps the line it starts on, so an error can name it.
 */

export interface CsvRecord {
  /** 1-based line of the file where the record starts (the header is line 1) */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/**
 * Calls `onRecord` for each record in order, without keeping them (a national feed's
 * stop_times.txt has millions); `onRecord` returns false to stop. Throws CsvError on an
 * unterminated quote or a stray quote.
 */
export function scanCsv(text: string, onRecord: (fields: string[], line: number) => boolean | void): void {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      // one field
      if (text.charCodeAt(i) === 34 /* " */) {
        let value = '';
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new CsvError(start, 'a quoted field is not closed (missing ")');
          value += text.slice(j, q);
          if (text.charCodeAt(q + 1) === 34) {
            value += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        for (let k = 0; k < value.length; k++) if (value.charCodeAt(k) === 10) line++;
        fields.push(value);
        const c = text.charCodeAt(i);
        if (i < n && c !== 44 && c !== 10 && c !== 13) throw new CsvError(line, 'text after a closing quote (a quote inside a quoted field must be doubled)');
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break;
          if (c === 34) throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field and double the quote)');
          j++;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      const c = text.charCodeAt(i);
      if (c === 44) {
        i++;
        continue;
      }
      // end of record: CRLF, LF, lone CR, or end of text
      if (c === 13) i++;
      if (text.charCodeAt(i) === 10) i++;
      line++;
      break;
    }
    // A blank line (one empty field) is skipped, as GTFS consumers do.
    if (!(fields.length === 1 && fields[0] === '') && onRecord(fields, start) === false) return;
  }
}

/** Every record of the text. */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  scanCsv(text, (fields, line) => {
    out.push({ line, fields });
  });
  return out;
}

/** One CSV field, quoted when it must be. */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV file (header + rows, CRLF-free, trailing newline) from column names and rows. */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | undefined | null>>): string {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}
