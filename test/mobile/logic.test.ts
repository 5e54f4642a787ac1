/** The passengers' page's pure parts. */
import { describe, expect, it } from 'vitest';
import { arrivalText, contrast, contrastText, fitProjection, roundLocation } from '../../dashboards/mobile/logic.ts';

describe('mobile page logic', () => {
  it('rounds a location to 3 decimals before it leaves the phone', () => {
    expect(roundLocation(48.517149, 32.284012)).toEqual({ lat: 48.517, lon: 32.284 });
    expect(roundLocation(-0.0006, 179.9996)).toEqual({ lat: -0.001, lon: 180 });
  });
  it('counts whole minutes, "arriving" under one', () => {
    expect(arrivalText(1_000_000 + 59_999, 1_000_000)).toBe('arriving');
    expect(arrivalText(1_000_000 - 5_000, 1_000_000)).toBe('arriving');
    expect(arrivalText(1_000_000 + 60_000, 1_000_000)).toBe(1);
    expect(arrivalText(1_000_000 + 7.5 * 60_000, 1_000_000)).toBe(7);
  });
  it('keeps the feed’s text colour only when it reads at 4.5:1, else black or white', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 0);
    expect(contrastText('#E53935', '#FFFFFF')).toBe('#000000'); // white on this red is 4.2:1
    expect(contrastText('#8E24AA', '#FFFFFF')).toBe('#FFFFFF');
    expect(contrastText('#0b3d6e', null)).toBe('#ffffff');
  });
  it('fits a line into the width, north up, keeping its proportions', () => {
    const p = fitProjection([[48.5, 32.2], [48.52, 32.26]], 360, 16);
    const [x0, y0] = p.xy(48.5, 32.2);
    const [x1, y1] = p.xy(48.52, 32.26);
    expect(Math.min(x0, x1)).toBeGreaterThanOrEqual(16);
    expect(Math.max(x0, x1)).toBeLessThanOrEqual(344);
    expect(y1).toBeLessThan(y0);
    expect(Math.abs(x1 - x0) / Math.abs(y1 - y0)).toBeCloseTo((0.06 * Math.cos((48.51 * Math.PI) / 180)) / 0.02, 1);
  });
});
