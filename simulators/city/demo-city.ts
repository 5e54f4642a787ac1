/**
 * DEMO DATA. The devices of the demo city that `npm start` registers and simulates: trackers on
 * the demo routes, street-lighting cabinets, and meters in public buildings. Every definition is
 * a valid `POST /api/v1/devices` body with `demo: true`, and the same options always give the
 * same list, so a restarted demo finds its devices already registered.
 */
import type { DeviceCreate } from '../../services/contracts/index.ts';
import { distanceM, offsetM, type LatLon } from './geo.ts';
import { rng } from './random.ts';
import { DEMO_ROUTES, demoStops, type Route } from './routes.ts';

export type TrackerProtocol = 'mqtt' | 'teltonika' | 'wialon-ips' | 'gt06';

export interface DemoCityOptions {
  /** trackers, one per vehicle (default 64) */
  vehicles?: number;
  /** lighting cabinets (default 30) */
  controllers?: number;
  /** energy, heat and water meters (default 200, in about 60 buildings) */
  meters?: number;
  seed?: number;
  /**
   * How many trackers speak each non-MQTT protocol (through the gateways); the rest speak MQTT.
   * Default: all MQTT.
   */
  trackerProtocols?: Partial<Record<Exclude<TrackerProtocol, 'mqtt'>, number>>;
}

/** The city's bounds, with a margin, that every demo coordinate stays within. */
export const CITY_BOUNDS = { south: 48.47, north: 48.56, west: 32.18, east: 32.34 } as const;

/** Neighbourhoods: the lighting groups, and where buildings are placed. */
export const DISTRICTS = [
  { id: 'centre', uk: 'Центр', en: 'Centre', at: [48.5085, 32.2635], spreadM: 700 },
  { id: 'fortechnyi', uk: 'Фортечні Вали', en: 'Fortechni Valy', at: [48.5205, 32.2475], spreadM: 600 },
  { id: 'lelekivka', uk: 'Лелеківка', en: 'Lelekivka', at: [48.5128, 32.2195], spreadM: 700 },
  { id: 'kovalivka', uk: 'Ковалівка', en: 'Kovalivka', at: [48.4945, 32.244], spreadM: 600 },
  { id: 'balka', uk: 'Велика Балка', en: 'Velyka Balka', at: [48.5385, 32.2655], spreadM: 700 },
  { id: 'vokzal', uk: 'Вокзал', en: 'Station', at: [48.5175, 32.2815], spreadM: 600 },
  { id: 'novomykolaivka', uk: 'Новомиколаївка', en: 'Novomykolaivka', at: [48.4865, 32.2655], spreadM: 600 },
  { id: 'zhovtneve', uk: 'Жовтневе', en: 'Zhovtneve', at: [48.4925, 32.2875], spreadM: 700 },
] as const satisfies ReadonlyArray<{ id: string; uk: string; en: string; at: LatLon; spreadM: number }>;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pad = (n: number, w = 3) => String(n).padStart(w, '0');

function clampToCity(p: readonly [number, number]): [number, number] {
  const m = 0.004; // keep clear of the edge
  return [
    Math.min(CITY_BOUNDS.north - m, Math.max(CITY_BOUNDS.south + m, p[0])),
    Math.min(CITY_BOUNDS.east - m, Math.max(CITY_BOUNDS.west + m, p[1])),
  ];
}

function nearestDistrict(p: LatLon): (typeof DISTRICTS)[number] {
  let best: (typeof DISTRICTS)[number] = DISTRICTS[0];
  for (const d of DISTRICTS) if (distanceM(p, d.at) < distanceM(p, best.at)) best = d;
  return best;
}

/** Splits n among routes in proportion to their length (largest remainder), one each first. */
export function allocate(n: number, routes: readonly Route[]): number[] {
  const counts = routes.map(() => 0);
  if (n <= 0) return counts;
  let left = n;
  for (let i = 0; i < routes.length && left > 0; i++, left--) counts[i] = 1;
  const total = routes.reduce((s, r) => s + r.lengthM, 0);
  const quotas = routes.map((r) => (left * r.lengthM) / total);
  let given = 0;
  quotas.forEach((q, i) => {
    counts[i]! += Math.floor(q);
    given += Math.floor(q);
  });
  const order = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < left - given; k++) counts[order[k % order.length]![1]]! += 1;
  return counts;
}

/** A 15-digit IMEI with a valid Luhn check digit. */
function imei(body14: string): string {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = Number(body14[i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body14 + String((10 - (sum % 10)) % 10);
}

function trackers(n: number, seed: number, protocols: DemoCityOptions['trackerProtocols']): DeviceCreate[] {
  const r = rng(seed ^ 0x7a11);
  const perRoute = allocate(n, DEMO_ROUTES);
  const plan: TrackerProtocol[] = [];
  for (const [p, k] of Object.entries(protocols ?? {}) as Array<[TrackerProtocol, number]>) for (let i = 0; i < k; i++) plan.push(p);
  if (plan.length > n) throw new Error(`trackerProtocols ask for ${plan.length} trackers; there are ${n}`);
  while (plan.length < n) plan.push('mqtt');
  // Spread gateway trackers over the routes rather than all on the first one.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  const serialStart = Math.floor(r() * 500_000);
  const out: DeviceCreate[] = [];
  let trolleybus = 0;
  let bus = 0;
  DEMO_ROUTES.forEach((route, ri) => {
    for (let k = 0; k < perRoute[ri]!; k++) {
      const i = out.length;
      const isTrolley = route.kind === 'trolleybus';
      const vehicleId = isTrolley ? `TB-${200 + ++trolleybus}` : `BUS-${pad(100 + ++bus)}`;
      out.push({
        id: `demo-trk-${pad(i + 1)}`,
        kind: 'tracker',
        protocol: plan[i]!,
        name: `${isTrolley ? 'Тролейбус' : 'Автобус'} ${vehicleId}, маршрут ${route.id} (демо)`,
        imei: imei(`35${pad(9104 + (seed % 90_000), 6)}${pad(serialStart + i, 6)}`),
        vehicleId,
        routeId: route.id,
        demo: true,
      });
    }
  });
  return out;
}

function controllers(n: number, seed: number): DeviceCreate[] {
  const r = rng(seed ^ 0x119b7);
  const stops = demoStops();
  const out: DeviceCreate[] = [];
  for (let i = 0; i < n; i++) {
    // Cabinets stand along the lit main streets: a point on a route, set back from the kerb.
    const route = DEMO_ROUTES[i % DEMO_ROUTES.length]!;
    const frac = (0.08 + 0.84 * ((i * 0.618_033_988_75 + r() * 0.2) % 1)) % 1;
    const target = frac * route.lengthM;
    let acc = 0;
    let vi = 1;
    for (; vi < route.polyline.length; vi++) {
      acc += distanceM(route.polyline[vi - 1]!, route.polyline[vi]!);
      if (acc >= target) break;
    }
    const on = route.polyline[Math.min(vi, route.polyline.length - 1)]!;
    const p = clampToCity(offsetM(on, (r() - 0.5) * 60, (r() - 0.5) * 60));
    const district = nearestDistrict(p);
    let near = stops[0]!;
    for (const s of stops) if (distanceM(p, [s.lat, s.lon]) < distanceM(p, [near.lat, near.lon])) near = s;
    out.push({
      id: `demo-lc-${pad(i + 1)}`,
      kind: 'lighting-controller',
      protocol: 'mqtt',
      name: `ШУО-${pad(i + 1, 2)} ${district.uk}, біля «${near.name.uk}» (демо)`,
      groupId: district.id,
      lat: round6(p[0]),
      lon: round6(p[1]),
      demo: true,
    });
  }
  return out;
}

type BuildingType = 'school' | 'kindergarten' | 'hospital' | 'clinic' | 'office' | 'culture';

const OFFICES = [
  'Міська рада',
  'Виконавчий комітет міської ради',
  'ЦНАП',
  'Управління освіти',
  'Управління соціального захисту населення',
  'Департамент ЖКГ',
  'Управління культури і туризму',
  'Міський архів',
];
const CULTURE = ['Бібліотека ім. Є. Маланюка', 'Палац культури', 'Музична школа №1', 'Спорткомплекс «Зірка»', 'Центр дитячої творчості'];

interface Building {
  id: string;
  type: BuildingType;
  name: string;
  at: [number, number];
  districtHeating: boolean;
  waterMeter: boolean;
}

function buildings(n: number, seed: number): Building[] {
  const r = rng(seed ^ 0xb111d);
  const counters: Record<BuildingType, number> = { school: 0, kindergarten: 0, hospital: 0, clinic: 0, office: 0, culture: 0 };
  const out: Building[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    // Roughly the mix of a Ukrainian regional centre's public buildings.
    const type: BuildingType = x < 0.34 ? 'school' : x < 0.62 ? 'kindergarten' : x < 0.7 ? 'hospital' : x < 0.8 ? 'clinic' : x < 0.92 ? 'office' : 'culture';
    const k = ++counters[type];
    const name =
      type === 'school'
        ? `Ліцей №${k + Math.floor(k / 7)}`
        : type === 'kindergarten'
          ? `Дитячий садок №${k * 2 + (k % 3)}`
          : type === 'hospital'
            ? k === 1
              ? 'Обласна лікарня'
              : `Міська лікарня №${k - 1}`
            : type === 'clinic'
              ? `Центр первинної медичної допомоги №${k}`
              : type === 'office'
                ? (OFFICES[k - 1] ?? `Адміністративна будівля №${k}`)
                : (CULTURE[k - 1] ?? `Будинок культури №${k}`);
    const district = DISTRICTS[Math.floor(r() * DISTRICTS.length)]!;
    // Two uniforms averaged: denser towards the district's centre.
    const dx = (r() + r() - 1) * district.spreadM;
    const dy = (r() + r() - 1) * district.spreadM;
    out.push({
      id: `${type}-${pad(k, 2)}`,
      type,
      name,
      at: clampToCity(offsetM(district.at, dx, dy)),
      districtHeating: r() < 0.7,
      waterMeter: r() < 0.6,
    });
  }
  return out;
}

function meters(n: number, seed: number): DeviceCreate[] {
  if (n <= 0) return [];
  const list = buildings(Math.max(1, Math.ceil(n / 3.3)), seed);
  // Passes over the buildings: main electricity input, heat, second input, water, more inputs.
  const passes: Array<(b: Building) => { kind: 'el' | 'heat' | 'water'; label: string } | null> = [
    () => ({ kind: 'el', label: 'електроенергія, ввід 1' }),
    (b) => (b.districtHeating ? { kind: 'heat', label: 'теплова енергія' } : null),
    () => ({ kind: 'el', label: 'електроенергія, ввід 2' }),
    (b) => (b.waterMeter ? { kind: 'water', label: 'холодна вода' } : null),
  ];
  const out: DeviceCreate[] = [];
  const seq = { el: 0, heat: 0, water: 0 };
  for (let pass = 0; out.length < n; pass++) {
    const f = passes[pass] ?? ((): { kind: 'el'; label: string } => ({ kind: 'el', label: `електроенергія, ввід ${pass - 1}` }));
    for (const b of list) {
      if (out.length >= n) break;
      const m = f(b);
      if (!m) continue;
      const num = ++seq[m.kind];
      out.push({
        id: `demo-${m.kind}-${pad(num)}`,
        kind: 'energy-meter',
        protocol: 'mqtt',
        name: `${b.name}: ${m.label} (демо)`,
        buildingId: b.id,
        lat: round6(b.at[0]),
        lon: round6(b.at[1]),
        demo: true,
      });
    }
  }
  return out;
}

/** The demo city's devices: trackers, then lighting cabinets, then meters. */
export function demoCity(opts: DemoCityOptions = {}): DeviceCreate[] {
  const seed = opts.seed ?? 1;
  return [
    ...trackers(opts.vehicles ?? 64, seed, opts.trackerProtocols),
    ...controllers(opts.controllers ?? 30, seed),
    ...meters(opts.meters ?? 200, seed),
  ];
}
