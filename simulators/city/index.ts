/** The demo city: device definitions, routes, behaviour models and the MQTT runner. */
export { demoCity, CITY_BOUNDS, DISTRICTS, type DemoCityOptions, type TrackerProtocol } from './demo-city.ts';
export { DEMO_ROUTES, demoStops, routeById, type Route, type RouteStop, type RouteKind, type LocalName } from './routes.ts';
export { buildCityModels, type DeviceModel, type CityModelOptions } from './models.ts';
export { VehicleModel, toPositionPayload, type VehicleSample, type VehicleModelOptions } from './vehicle-model.ts';
export { LightingControllerModel, controllerSpecFor, scheduledLevel, dayPlan, type ControllerSpec } from './lighting-model.ts';
export { EnergyMeterModel, meterSpecFor, meterUnitFor, buildingTypeFor, type MeterSpec, type BuildingType } from './energy-model.ts';
export { sunTimes, type SunTimes } from './sun.ts';
export {
  startCitySimulator,
  type CitySimulator,
  type CitySimulatorOptions,
  type CitySimulatorStats,
  type SimLogger,
  type SimChannel,
} from './run-city.ts';
