/**
 * Teltonika AVL IO element ids that mistohub names (FMB "Full AVL ID list"). Every id is kept
 * in the payload's `io` by number; these also feed the named payload fields.
 */
export const TELTONIKA_IO_NAMES: Readonly<Record<number, string>> = {
  1: 'digital input 1',
  9: 'analog input 1 (mV)',
  16: 'total odometer (m)',
  21: 'GSM signal (0–5)',
  24: 'speed (km/h)',
  66: 'external voltage (mV)',
  67: 'battery voltage (mV)',
  68: 'battery current (mA)',
  69: 'GNSS status',
  80: 'data mode',
  113: 'battery level (%)',
  181: 'GNSS PDOP (×10)',
  182: 'GNSS HDOP (×10)',
  199: 'trip odometer (m)',
  200: 'sleep mode',
  205: 'GSM cell id',
  206: 'GSM area code',
  239: 'ignition',
  240: 'movement',
  241: 'active GSM operator',
};

export const IO_IGNITION = 239;
export const IO_MOVEMENT = 240;
export const IO_TOTAL_ODOMETER = 16;
export const IO_EXTERNAL_VOLTAGE = 66;
export const IO_GSM_SIGNAL = 21;
export const IO_GNSS_HDOP = 182;
