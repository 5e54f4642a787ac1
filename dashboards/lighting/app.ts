/** Streetlight operator view: cabinets on a schematic map and in a table, faults highlighted. */
import type { ControllerState } from '../../services/contracts/lighting.ts';
import { namespaces } from '../../services/contracts/socket-events.ts';
import { FAULT_COLOR, levelColor, STALE_COLOR } from '../shared/colors.ts';
import { fmtAgo, fmtDateTime, fmtNumber, fmtPower } from '../shared/format.ts';
import { isMsgKey, onLangChange, t } from '../shared/i18n.ts';
import { LiveStore } from '../shared/live.ts';
import { SchematicMap, type MapPoint } from '../shared/map.ts';
import { bindLiveStatus, bindToggle, fillSelect, initPage, must, setDemo, startRedrawLoop } from '../shared/page.ts';
import { LiveTable } from '../shared/table.ts';
import { initDispatch } from './dispatch.ts';
import { initOpcuaStatus } from './opcua-status.ts';

const ALL = '';
const NO_GROUP = '\u0000none';

const { token } = initPage();
const store = new LiveStore<ControllerState>({
  namespace: namespaces.lighting,
  restPath: '/api/v1/lighting/controllers',
  batchEvent: 'controllers',
  idOf: (c) => c.controllerId,
  token,
});
bindLiveStatus(store, 'lighting');

const groupFilter = must<HTMLSelectElement>('group-filter');
const search = must<HTMLInputElement>('search');
const totalPower = must('total-power');
const countOn = must('count-on');
const countFaults = must('count-faults');
const countStale = must('count-stale');
const noCoords = must('map-nocoords');
const canvas = must<HTMLCanvasElement>('map');

let refit = true;
let forceDraw = true;
function kick(): void {
  forceDraw = true;
}
const onlyFaults = bindToggle(must<HTMLButtonElement>('only-faults'), () => {
  refit = true;
  kick();
});

function faultText(f: string): string {
  const key = `fault.${f}`;
  return isMsgKey(key) ? t(key) : f;
}
const has = (c: ControllerState, fault: string): boolean => c.faults.includes(fault);
const cabinetName = (c: ControllerState): string => c.name ?? c.controllerId;

const map = new SchematicMap(canvas, (id) => {
  table.select(id);
  map.setSelected(id);
});

const table = new LiveTable<ControllerState>({
  table: must<HTMLTableElement>('controllers'),
  idOf: (c) => c.controllerId,
  rowClass: (c) => [c.faults.length > 0 ? 'fault' : '', c.stale ? 'stale' : ''].filter(Boolean).join(' '),
  onSelect: (id) => map.setSelected(id),
  defaultSort: { column: 'faults', descending: true },
  columns: [
    { id: 'cabinet', header: 'lighting.cabinet', cell: (c) => ({ text: cabinetName(c), title: c.controllerId, className: 'wrap' }), sort: cabinetName },
    { id: 'group', header: 'lighting.group', cell: (c) => ({ text: c.groupId ?? t('common.none') }), sort: (c) => c.groupId ?? '\uffff' },
    {
      id: 'level',
      header: 'lighting.level',
      numeric: true,
      cell: (c) => ({
        text: c.on ? `${fmtNumber(c.level, 0)} %` : t('lighting.offShort'),
        bar: c.on ? c.level : 0,
        title: c.on ? t('lighting.on') : t('lighting.off'),
        className: has(c, 'burning-by-day') ? 'alert' : c.on ? '' : 'off',
      }),
      sort: (c) => (c.on ? c.level : -1),
    },
    {
      id: 'power',
      header: 'lighting.power',
      numeric: true,
      cell: (c) => ({ text: fmtPower(c.powerW), className: has(c, 'power-mismatch') ? 'alert' : '' }),
      sort: (c) => c.powerW ?? -1,
    },
    {
      id: 'voltage',
      header: 'lighting.voltage',
      numeric: true,
      cell: (c) => ({
        text: c.voltageV === null ? t('common.none') : `${fmtNumber(c.voltageV, 0)} ${t('unit.V')}`,
        className: has(c, 'voltage-out-of-range') ? 'alert' : '',
      }),
      sort: (c) => c.voltageV ?? -1,
    },
    {
      id: 'faults',
      header: 'lighting.faults',
      cell: (c) => (c.faults.length > 0 ? { text: `⚠ ${c.faults.map(faultText).join(', ')}`, className: 'faults alert' } : { text: t('common.none'), className: 'faults' }),
      sort: (c) => c.faults.length,
    },
    {
      id: 'updated',
      header: 'lighting.lastUpdate',
      cell: (c, now) => ({ text: c.stale ? `${fmtAgo(c.ts, now)} · ${t('common.stale')}` : fmtAgo(c.ts, now), title: fmtDateTime(c.ts), className: 'state wrap' }),
      sort: (c) => -Date.parse(c.ts),
    },
  ],
});

must<HTMLButtonElement>('map-fit').addEventListener('click', () => map.fit());
groupFilter.addEventListener('change', () => {
  refit = true;
  kick();
});
search.addEventListener('input', () => kick());
must('controllers').addEventListener('sortchange', () => kick());
onLangChange(() => {
  table.renderHead();
  map.invalidate();
  kick();
});

function groupOptions(): void {
  const groups = new Set<string>();
  let none = false;
  for (const c of store.items.values()) {
    if (c.groupId === null || c.groupId === '') none = true;
    else groups.add(c.groupId);
  }
  fillSelect(groupFilter, [
    { value: ALL, label: t('lighting.allGroups') },
    ...[...groups].sort((a, b) => a.localeCompare(b, 'uk', { numeric: true })).map((g) => ({ value: g, label: g })),
    ...(none ? [{ value: NO_GROUP, label: t('lighting.noGroup') }] : []),
  ]);
}

function visible(): ControllerState[] {
  const group = groupFilter.value;
  const q = search.value.trim().toLowerCase();
  const faultsOnly = onlyFaults();
  const out: ControllerState[] = [];
  for (const c of store.items.values()) {
    if (group === NO_GROUP ? c.groupId !== null && c.groupId !== '' : group !== ALL && c.groupId !== group) continue;
    if (faultsOnly && c.faults.length === 0) continue;
    if (q && !`${c.controllerId} ${c.name ?? ''} ${c.groupId ?? ''}`.toLowerCase().includes(q)) continue;
    out.push(c);
  }
  return out;
}

startRedrawLoop((now) => {
  const changed = store.flush();
  if (changed || forceDraw) groupOptions();
  forceDraw = false;
  setDemo(store.isDemo);

  let power = 0;
  let on = 0;
  let faults = 0;
  let stale = 0;
  for (const c of store.items.values()) {
    if (!c.stale && c.powerW !== null) power += c.powerW;
    if (c.on) on++;
    if (c.faults.length > 0) faults++;
    if (c.stale) stale++;
  }
  totalPower.textContent = t('lighting.totalPower', { value: fmtPower(power) });
  countOn.textContent = t('lighting.countOn', { n: on, total: store.items.size });
  countFaults.textContent = t('lighting.countFaults', { n: faults });
  countStale.textContent = t('lighting.countStale', { n: stale });

  const shown = visible();
  table.render(shown, now, store.items.size === 0 ? 'table.empty' : 'table.emptyFiltered');

  const points: MapPoint[] = [];
  let withoutCoords = 0;
  for (const c of shown) {
    if (c.lat === null || c.lon === null) {
      withoutCoords++;
      continue;
    }
    points.push({
      id: c.controllerId,
      lat: c.lat,
      lon: c.lon,
      fill: c.stale ? STALE_COLOR : levelColor(c.level, c.on),
      muted: c.stale,
      radius: 7,
      // a switched-off cabinet is dark: a light outline keeps it visible on the dark map
      ...(c.on && c.level > 0 ? {} : { stroke: '#b7c4d0' }),
      ...(c.faults.length > 0 ? { ring: FAULT_COLOR, label: `⚠ ${cabinetName(c)}`, labelColor: FAULT_COLOR } : {}),
      ...(c.stale ? { label: `${cabinetName(c)} · ${fmtAgo(c.ts, now)}`, labelColor: STALE_COLOR } : {}),
    });
  }
  noCoords.textContent = withoutCoords > 0 ? t('map.noCoords', { n: withoutCoords }) : '';
  map.setPoints(points);
  if (refit && points.length > 0) {
    map.fit();
    refit = false;
  }
  canvas.setAttribute('aria-label', t('lighting.mapLabel', { n: points.length }));
  map.draw();
});

store.start();
initDispatch(token);
initOpcuaStatus(token, must('opcua-banner'));
