import { describe, expect, it } from 'vitest';
import { csvCell, EXCEL_UK, OPEN_DATA, toCsv } from '../../services/energy/reports/csv.ts';

describe('CSV for Excel and for open data', () => {
  it('quotes what needs it in each dialect, writes decimal commas for Excel, and defuses formulas', () => {
    expect(csvCell('вул. Велика Перспективна, 10', EXCEL_UK)).toBe('вул. Велика Перспективна, 10');
    expect(csvCell('вул. Велика Перспективна, 10', OPEN_DATA)).toBe('"вул. Велика Перспективна, 10"');
    expect(csvCell('a;b', EXCEL_UK)).toBe('"a;b"');
    expect(csvCell('Школа "Надія"', OPEN_DATA)).toBe('"Школа ""Надія"""');
    expect(csvCell(1234.5678, EXCEL_UK)).toBe('1234,568');
    expect(csvCell(1234.5678, OPEN_DATA)).toBe('1234.568');
    expect(csvCell(true, EXCEL_UK)).toBe('так');
    expect(csvCell(null, EXCEL_UK)).toBe('');
    expect(csvCell('=HYPERLINK("x")', EXCEL_UK)).toBe('"\'=HYPERLINK(""x"")"');
    expect(toCsv(['a', 'b'], [[1, 'x']], EXCEL_UK)).toBe('\ufeffa;b\r\n1;x\r\n');
    expect(toCsv(['a', 'b'], [[1.5, 'x']], OPEN_DATA)).toBe('a,b\r\n1.5,x\r\n');
  });
});
