/**
 * CSV writing. The monthly report is for Excel as Ukrainian offices run it: UTF-8 with a BOM (or
 * Excel reads it as Windows-1251), `;` between fields and a decimal comma (the uk-UA list and
 * decimal separators), CRLF. Open data is for programs: `,`, a decimal point, no BOM. Pure.
 */
export interface CsvDialect {
  separator: ',' | ';';
  decimalComma: boolean;
  bom: boolean;
}

export const EXCEL_UK: CsvDialect = { separator: ';', decimalComma: true, bom: true };
export const OPEN_DATA: CsvDialect = { separator: ',', decimalComma: false, bom: false };

export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell, d: CsvDialect): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'number') {
    s = String(Math.round(v * 1000) / 1000);
    if (d.decimalComma) s = s.replace('.', ',');
  } else if (typeof v === 'boolean') s = d.decimalComma ? (v ? 'так' : 'ні') : String(v);
  else s = v;
  // A leading = + - @ would be a formula to a spreadsheet: quoted and prefixed (CSV injection).
  if (typeof v === 'string' && /^[=+\-@]/.test(s)) s = `'${s}`;
  return /["\n\r]/.test(s) || s.includes(d.separator) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[], d: CsvDialect): string {
  const lines = [header.map((h) => csvCell(h, d)).join(d.separator), ...rows.map((r) => r.map((c) => csvCell(c, d)).join(d.separator))];
  return `${d.bom ? '\ufeff' : ''}${lines.join('\r\n')}\r\n`;
}
