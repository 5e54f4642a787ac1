/**
 * The GTFS feed the hub runs on, in memory, as the loader (gtfs/load.ts) builds it from a zip
 * or folder. Ids are the feed's own: they are the ids of GTFS-Realtime and of the REST API.
 * Times of day are seconds after "noon minus 12h" of the service day (GTFS: may exceed 24:00:00).
 */

export interface GtfsAgency {
  agencyId: string;
  name: string;
  url: string;
  timezone: string;
  lang?: string;
}

/** GTFS route_type: 0 tram, 3 bus, 11 trolleybus (and the extended types, kept as numbers). */
export interface GtfsRoute {
  routeId: string;
  agencyId?: string;
  shortName: string;
  longName: string;
  type: number;
  color?: string;
  textColor?: string;
}

export interface GtfsStop {
  stopId: string;
  name: string;
  lat: number;
  lon: number;
  code?: string;
  /** 0 stop/platform, 1 station, … */
  locationType: number;
  parentStation?: string;
}

export interface GtfsTrip {
  tripId: string;
  routeId: string;
  serviceId: string;
  headsign?: string;
  directionId?: 0 | 1;
  blockId?: string;
  shapeId?: string;
}

export interface GtfsStopTime {
  tripId: string;
  stopSequence: number;
  stopId: string;
  /** seconds since the service day's start (noon − 12 h, local) */
  arrivalS: number;
  departureS: number;
  /** along the shape, in metres when the feed gives shape_dist_traveled in metres */
  shapeDistTraveled?: number;
  timepoint?: 0 | 1;
}

export interface GtfsCalendar {
  serviceId: string;
  /** Monday … Sunday */
  days: [boolean, boolean, boolean, boolean, boolean, boolean, boolean];
  /** YYYYMMDD */
  startDate: string;
  endDate: string;
}

export interface GtfsCalendarDate {
  serviceId: string;
  /** YYYYMMDD */
  date: string;
  /** 1 added, 2 removed */
  exceptionType: 1 | 2;
}

export interface GtfsShapePoint {
  lat: number;
  lon: number;
  sequence: number;
  distTraveled?: number;
}

export interface GtfsFrequency {
  tripId: string;
  startS: number;
  endS: number;
  headwayS: number;
  exactTimes: 0 | 1;
}

export interface GtfsFeed {
  agencies: GtfsAgency[];
  routes: Map<string, GtfsRoute>;
  stops: Map<string, GtfsStop>;
  trips: Map<string, GtfsTrip>;
  /** by trip, in stop_sequence order */
  stopTimes: Map<string, GtfsStopTime[]>;
  calendars: Map<string, GtfsCalendar>;
  calendarDates: GtfsCalendarDate[];
  /** by shape, in shape_pt_sequence order */
  shapes: Map<string, GtfsShapePoint[]>;
  frequencies: GtfsFrequency[];
  /** the files as they were imported, to serve `GET /gtfs/static.zip` byte for byte */
  files: Map<string, Uint8Array>;
}
