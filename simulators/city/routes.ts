/**
 * DEMO DATA. Plausible transit routes of Kropyvnytskyi for the demo city: the streets and
 * districts are real, but the route numbers, paths, stop names and coordinates are approximate
 * and drawn by hand for the simulator. They are not KP "Elektrotrans" timetables or geodata.
 *
 * Routes are assembled from shared street corridors so that routes on the same street use the
 * same line and the same stops (a stop served by three routes is one stop with one id).
 */
import { densify, Polyline, type LatLon } from './geo.ts';

export type RouteKind = 'trolleybus' | 'bus';

export interface LocalName {
  uk: string;
  en: string;
}

export interface RouteStop {
  /** shared by every route that serves the place */
  id: string;
  name: LocalName;
  lat: number;
  lon: number;
  /** metres from the start of the route's polyline */
  atM: number;
}

export interface Route {
  id: string;
  kind: RouteKind;
  name: LocalName;
  /** [lat, lon] pairs, WGS 84, as Leaflet takes them; from the first terminus to the second */
  polyline: ReadonlyArray<readonly [number, number]>;
  lengthM: number;
  /** in polyline order; the first and last are the termini */
  stops: readonly RouteStop[];
  demo: true;
}

/** Named places: each becomes a stop wherever a route passes it. */
const PLACES = {
  vokzal: { uk: 'Залізничний вокзал', en: 'Railway Station', at: [48.523, 32.288] },
  avtovokzal: { uk: 'Автовокзал', en: 'Bus Station', at: [48.517, 32.2838] },
  vokzalnaTelniuka: { uk: 'вул. Вокзальна', en: 'Vokzalna St', at: [48.5123, 32.2786] },
  vokzalnaJct: { uk: 'Велика Перспективна / Вокзальна', en: 'Velyka Perspektyvna / Vokzalna', at: [48.5082, 32.2752] },
  inhulBridge: { uk: 'Міст через Інгул', en: 'Inhul Bridge', at: [48.5098, 32.2468] },
  rynok: { uk: 'Центральний ринок', en: 'Central Market', at: [48.5094, 32.2538] },
  preobrazhenska: { uk: 'вул. Преображенська', en: 'Preobrazhenska St', at: [48.5091, 32.261] },
  maidan: { uk: 'Площа Героїв Майдану', en: 'Heroes of Maidan Square', at: [48.5087, 32.2652] },
  universytet: { uk: 'Університет', en: 'University', at: [48.5084, 32.2722] },
  hidrosyla: { uk: 'Гідросила', en: 'Hidrosyla Plant', at: [48.5076, 32.286] },
  elvorti: { uk: 'Ельворті', en: 'Elvorti Plant', at: [48.5066, 32.2968] },
  oblLikarnia: { uk: 'Обласна лікарня', en: 'Regional Hospital', at: [48.5042, 32.2611] },
  pivdennyi: { uk: 'Південний ринок', en: 'Southern Market', at: [48.4975, 32.2613] },
  poltavska: { uk: 'вул. Полтавська', en: 'Poltavska St', at: [48.4905, 32.2636] },
  novomykolaivka: { uk: 'Новомиколаївка', en: 'Novomykolaivka', at: [48.4792, 32.2688] },
  telniukaPr: { uk: 'Преображенська / Тельнюка', en: 'Preobrazhenska / Telniuka', at: [48.515, 32.2611] },
  kremenchutska: { uk: 'вул. Кременчуцька', en: 'Kremenchutska St', at: [48.5157, 32.2535] },
  fortechniValy: { uk: 'Фортечні Вали', en: 'Fortechni Valy', at: [48.5232, 32.2441] },
  fortechnyiProv: { uk: 'Фортечний провулок', en: 'Fortechnyi Lane', at: [48.5192, 32.247] },
  telniukaUn: { uk: 'Університетський пр. / Тельнюка', en: 'Universytetskyi Ave / Telniuka', at: [48.5148, 32.2722] },
  studmistechko: { uk: 'Студмістечко', en: 'Student Campus', at: [48.5214, 32.2712] },
  miskaLikarnia: { uk: 'Міська лікарня', en: 'City Hospital', at: [48.5305, 32.2688] },
  balkaSchool: { uk: 'Балка, школа', en: 'Balka School', at: [48.5395, 32.2648] },
  balka: { uk: 'Велика Балка', en: 'Velyka Balka', at: [48.5478, 32.2616] },
  radii: { uk: 'Завод «Радій»', en: 'Radii Plant', at: [48.5106, 32.2378] },
  kropyvnytskoho: { uk: 'вул. Кропивницького', en: 'Kropyvnytskoho St', at: [48.5124, 32.2222] },
  lelekivka: { uk: 'Лелеківка', en: 'Lelekivka', at: [48.5151, 32.2078] },
  kovalivskyiPark: { uk: 'Ковалівський парк', en: 'Kovalivskyi Park', at: [48.4962, 32.2482] },
  kovalivka: { uk: 'Ковалівка', en: 'Kovalivka', at: [48.4924, 32.2358] },
  stadion: { uk: 'Стадіон «Зірка»', en: 'Zirka Stadium', at: [48.5019, 32.2702] },
  lotnaAkademia: { uk: 'Льотна академія', en: 'Flight Academy', at: [48.4988, 32.2736] },
  novyi: { uk: 'Мікрорайон Новий', en: 'Novyi District', at: [48.4931, 32.2852] },
  zhovtneve: { uk: 'Жовтневе', en: 'Zhovtneve', at: [48.4884, 32.2976] },
  lelekivkaSchool: { uk: 'Лелеківка, школа', en: 'Lelekivka School', at: [48.5136, 32.215] },
  damba: { uk: 'Дамба', en: 'Dam', at: [48.5115, 32.2306] },
  sadova: { uk: 'вул. Садова', en: 'Sadova St', at: [48.5261, 32.2701] },
  balkaMarket: { uk: 'Балка, ринок', en: 'Balka Market', at: [48.5351, 32.2669] },
  balkaPark: { uk: 'Балка, парк', en: 'Balka Park', at: [48.5439, 32.2631] },
  shulhynykh: { uk: 'вул. Шульгиних', en: 'Shulhynykh St', at: [48.5047, 32.2727] },
  khlibozavod: { uk: 'Хлібозавод', en: 'Bread Factory', at: [48.4854, 32.2661] },
  kovalivska: { uk: 'вул. Ковалівська', en: 'Kovalivska St', at: [48.4945, 32.2428] },
  kovalivkaMarket: { uk: 'Ринок «Ковалівський»', en: 'Kovalivskyi Market', at: [48.4971, 32.2557] },
  dytiachaLikarnia: { uk: 'Дитяча лікарня', en: "Children's Hospital", at: [48.4964, 32.2779] },
  promzona: { uk: 'Промзона', en: 'Industrial Zone', at: [48.4904, 32.2921] },
} as const satisfies Record<string, { uk: string; en: string; at: LatLon }>;

type PlaceKey = keyof typeof PLACES;
type CorridorPoint = PlaceKey | LatLon;

/**
 * Main streets as hand-drawn lines, with the places along them. Intermediate points follow the
 * streets' bends; the city centre is a grid, the outskirts curve.
 */
const CORRIDORS = {
  // Velyka Perspektyvna, west (Inhul) to east (Elvorti)
  perspektyvna: [
    'inhulBridge', [48.5097, 32.2492], [48.5095, 32.2515], 'rynok', [48.5093, 32.2562], [48.5092, 32.2588],
    'preobrazhenska', [48.5089, 32.2631], 'maidan', [48.5086, 32.2676], [48.5085, 32.2699], 'universytet',
    [48.5083, 32.2738], 'vokzalnaJct', [48.5081, 32.2783], [48.5079, 32.2812], [48.5078, 32.2836], 'hidrosyla',
    [48.5074, 32.2889], [48.507, 32.2918], [48.5068, 32.2942], 'elvorti',
  ],
  // Vokzalna, from Velyka Perspektyvna north-east to the railway station
  vokzalna: [
    'vokzalnaJct', [48.5092, 32.276], [48.5102, 32.2767], [48.5113, 32.2776], 'vokzalnaTelniuka', [48.5134, 32.2797],
    [48.5146, 32.2809], [48.5158, 32.2823], 'avtovokzal', [48.5183, 32.2851], [48.5197, 32.2861], [48.5212, 32.2869], 'vokzal',
  ],
  // Preobrazhenska and its southern continuation, south (Novomykolaivka) to north
  preobrazhenska: [
    'novomykolaivka', [48.4812, 32.2679], [48.4833, 32.267], 'khlibozavod', [48.4876, 32.2651], 'poltavska',
    [48.4924, 32.2628], [48.4941, 32.2621], [48.4958, 32.2616], 'pivdennyi', [48.4995, 32.2612], [48.5018, 32.2611],
    'oblLikarnia', [48.5058, 32.261], [48.5074, 32.261], 'preobrazhenska', [48.5108, 32.261], [48.5122, 32.2611],
    [48.5136, 32.2611], 'telniukaPr',
  ],
  // Yevhena Telniuka, from Fortechni Valy (north-west) east to the bus station
  telniuka: [
    'fortechniValy', [48.5222, 32.2448], [48.5213, 32.2455], [48.5203, 32.2462], 'fortechnyiProv', [48.5181, 32.2482],
    [48.5171, 32.2497], [48.5163, 32.2515], 'kremenchutska', [48.5154, 32.2559], [48.5152, 32.2585], 'telniukaPr',
    [48.5149, 32.2637], [48.5149, 32.2664], [48.5148, 32.2693], 'telniukaUn', [48.5149, 32.2748], [48.5153, 32.2771],
    [48.5158, 32.279], [48.5163, 32.2812], 'avtovokzal',
  ],
  // Universytetskyi avenue, south (Flight Academy) to north (Velyka Balka)
  universytetskyi: [
    'lotnaAkademia', [48.5004, 32.2734], [48.5023, 32.2731], 'shulhynykh', [48.5066, 32.2724], 'universytet',
    [48.5101, 32.2722], [48.5121, 32.2722], 'telniukaUn', [48.5168, 32.272], [48.5187, 32.2718], 'studmistechko',
    [48.5238, 32.2707], 'sadova', [48.5283, 32.2695], 'miskaLikarnia', [48.5328, 32.268], 'balkaMarket',
    [48.5372, 32.2659], 'balkaSchool', [48.5418, 32.2639], 'balkaPark', [48.5459, 32.2623], 'balka',
  ],
  // West across the Inhul to Lelekivka
  lelekivka: [
    'lelekivka', [48.5146, 32.2101], [48.5141, 32.2126], 'lelekivkaSchool', [48.5131, 32.2174], [48.5127, 32.2198],
    'kropyvnytskoho', [48.5121, 32.2251], [48.5118, 32.228], 'damba', [48.5111, 32.2331], [48.5108, 32.2355],
    'radii', [48.5104, 32.2402], [48.5102, 32.2425], [48.5101, 32.2447], 'inhulBridge',
  ],
  // South-west to Kovalivka
  kovalivka: [
    'kovalivka', [48.4931, 32.2381], [48.4938, 32.2404], 'kovalivska', [48.4951, 32.2449], [48.4957, 32.2466],
    'kovalivskyiPark', [48.4966, 32.2505], [48.4969, 32.253], 'kovalivkaMarket', [48.4973, 32.2584], 'pivdennyi',
  ],
  // Heroiv Ukrainy avenue (formerly Lenina), from the centre south-east to Zhovtneve
  heroivUkrainy: [
    'maidan', [48.5075, 32.2657], [48.5061, 32.2664], [48.5047, 32.2674], [48.5033, 32.2687], 'stadion',
    [48.5004, 32.2718], 'lotnaAkademia', [48.4976, 32.2757], 'dytiachaLikarnia', [48.4952, 32.2803], [48.4942, 32.2827],
    'novyi', [48.4922, 32.2874], [48.4913, 32.2897], 'promzona', [48.4895, 32.2946], 'zhovtneve',
  ],
} as const satisfies Record<string, readonly CorridorPoint[]>;

type CorridorKey = keyof typeof CORRIDORS;

interface RouteSpec {
  id: string;
  kind: RouteKind;
  name: LocalName;
  /** consecutive pieces of corridors, each from one place to another; pieces join at places */
  legs: ReadonlyArray<readonly [CorridorKey, PlaceKey, PlaceKey]>;
}

const ROUTE_SPECS: readonly RouteSpec[] = [
  {
    id: 'T1',
    kind: 'trolleybus',
    name: { uk: 'Залізничний вокзал — Ковалівка', en: 'Railway Station — Kovalivka' },
    legs: [
      ['vokzalna', 'vokzal', 'vokzalnaJct'],
      ['perspektyvna', 'vokzalnaJct', 'preobrazhenska'],
      ['preobrazhenska', 'preobrazhenska', 'pivdennyi'],
      ['kovalivka', 'pivdennyi', 'kovalivka'],
    ],
  },
  {
    id: 'T2',
    kind: 'trolleybus',
    name: { uk: 'Лелеківка — Ельворті', en: 'Lelekivka — Elvorti' },
    legs: [
      ['lelekivka', 'lelekivka', 'inhulBridge'],
      ['perspektyvna', 'inhulBridge', 'elvorti'],
    ],
  },
  {
    id: 'T3',
    kind: 'trolleybus',
    name: { uk: 'Велика Балка — Новомиколаївка', en: 'Velyka Balka — Novomykolaivka' },
    legs: [
      ['universytetskyi', 'balka', 'telniukaUn'],
      ['telniuka', 'telniukaUn', 'telniukaPr'],
      ['preobrazhenska', 'telniukaPr', 'novomykolaivka'],
    ],
  },
  {
    id: 'T5',
    kind: 'trolleybus',
    name: { uk: 'Фортечні Вали — Залізничний вокзал', en: 'Fortechni Valy — Railway Station' },
    legs: [
      ['telniuka', 'fortechniValy', 'avtovokzal'],
      ['vokzalna', 'avtovokzal', 'vokzal'],
    ],
  },
  {
    id: 'T7',
    kind: 'trolleybus',
    name: { uk: 'Ковалівка — Жовтневе', en: 'Kovalivka — Zhovtneve' },
    legs: [
      ['kovalivka', 'kovalivka', 'pivdennyi'],
      ['preobrazhenska', 'pivdennyi', 'preobrazhenska'],
      ['perspektyvna', 'preobrazhenska', 'maidan'],
      ['heroivUkrainy', 'maidan', 'zhovtneve'],
    ],
  },
  {
    id: 'A101',
    kind: 'bus',
    name: { uk: 'Лелеківка — Велика Балка', en: 'Lelekivka — Velyka Balka' },
    legs: [
      ['lelekivka', 'lelekivka', 'inhulBridge'],
      ['perspektyvna', 'inhulBridge', 'universytet'],
      ['universytetskyi', 'universytet', 'balka'],
    ],
  },
  {
    id: 'A105',
    kind: 'bus',
    name: { uk: 'Фортечні Вали — Новомиколаївка', en: 'Fortechni Valy — Novomykolaivka' },
    legs: [
      ['telniuka', 'fortechniValy', 'telniukaPr'],
      ['preobrazhenska', 'telniukaPr', 'novomykolaivka'],
    ],
  },
  {
    id: 'A112',
    kind: 'bus',
    name: { uk: 'Ковалівка — Залізничний вокзал', en: 'Kovalivka — Railway Station' },
    legs: [
      ['kovalivka', 'kovalivka', 'pivdennyi'],
      ['preobrazhenska', 'pivdennyi', 'telniukaPr'],
      ['telniuka', 'telniukaPr', 'avtovokzal'],
      ['vokzalna', 'avtovokzal', 'vokzal'],
    ],
  },
  {
    id: 'A120',
    kind: 'bus',
    name: { uk: 'Жовтневе — Велика Балка', en: 'Zhovtneve — Velyka Balka' },
    legs: [
      ['heroivUkrainy', 'zhovtneve', 'lotnaAkademia'],
      ['universytetskyi', 'lotnaAkademia', 'balka'],
    ],
  },
  {
    id: 'A127',
    kind: 'bus',
    name: { uk: 'Новомиколаївка — Ельворті', en: 'Novomykolaivka — Elvorti' },
    legs: [
      ['preobrazhenska', 'novomykolaivka', 'preobrazhenska'],
      ['perspektyvna', 'preobrazhenska', 'elvorti'],
    ],
  },
];

/** Longest straight step of a published polyline: streets drawn with many vertices. */
const MAX_STEP_M = 40;

const isPlace = (p: CorridorPoint): p is PlaceKey => typeof p === 'string';
const coordsOf = (p: CorridorPoint): LatLon => (isPlace(p) ? PLACES[p].at : p);

function slice(corridor: CorridorKey, from: PlaceKey, to: PlaceKey): CorridorPoint[] {
  const points: readonly CorridorPoint[] = CORRIDORS[corridor];
  const i = points.indexOf(from);
  const j = points.indexOf(to);
  if (i < 0 || j < 0 || i === j) throw new Error(`corridor ${corridor} does not run from ${from} to ${to}`);
  return i < j ? points.slice(i, j + 1) : points.slice(j, i + 1).reverse();
}

function buildRoute(spec: RouteSpec): Route {
  const path: CorridorPoint[] = [];
  let joint: PlaceKey | null = null;
  for (const [corridor, from, to] of spec.legs) {
    if (joint !== null && joint !== from) throw new Error(`route ${spec.id}: leg ${corridor} starts at ${from}, not at ${joint}`);
    const piece = slice(corridor, from, to);
    path.push(...(joint === null ? piece : piece.slice(1)));
    joint = to;
  }
  // Densify piecewise so each place keeps its own vertex and its exact distance along the line.
  const polyline: Array<[number, number]> = [];
  const placeVertex: Array<[PlaceKey, number]> = [];
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (i === 0) polyline.push([coordsOf(p)[0], coordsOf(p)[1]]);
    else polyline.push(...densify([coordsOf(path[i - 1]!), coordsOf(p)], MAX_STEP_M).slice(1));
    if (isPlace(p)) placeVertex.push([p, polyline.length - 1]);
  }
  const line = new Polyline(polyline);
  const stops: RouteStop[] = placeVertex.map(([key, vertex]) => ({
    id: `st-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    name: { uk: PLACES[key].uk, en: PLACES[key].en },
    lat: PLACES[key].at[0],
    lon: PLACES[key].at[1],
    atM: line.cum[vertex]!,
  }));
  return { id: spec.id, kind: spec.kind, name: spec.name, polyline, lengthM: line.lengthM, stops, demo: true };
}

/** The demo city's routes (demo data, see the note at the top of this file). */
export const DEMO_ROUTES: readonly Route[] = ROUTE_SPECS.map(buildRoute);

export function routeById(id: string): Route | undefined {
  return DEMO_ROUTES.find((r) => r.id === id);
}

/** Every stop of the demo routes, once each. */
export function demoStops(): Array<Omit<RouteStop, 'atM'> & { routeIds: string[] }> {
  const byId = new Map<string, Omit<RouteStop, 'atM'> & { routeIds: string[] }>();
  for (const r of DEMO_ROUTES) {
    for (const s of r.stops) {
      const known = byId.get(s.id);
      if (known) known.routeIds.push(r.id);
      else byId.set(s.id, { id: s.id, name: s.name, lat: s.lat, lon: s.lon, routeIds: [r.id] });
    }
  }
  return [...byId.values()];
}
