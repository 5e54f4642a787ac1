/**
 * Every string the dashboards show, in Ukrainian (default) and English.
 * This module touches the DOM only inside functions, so build.ts can import it in Node
 * to pre-render the default language into the HTML.
 */

export type Lang = 'uk' | 'en';
export const LANGS: readonly Lang[] = ['uk', 'en'];
export const DEFAULT_LANG: Lang = 'uk';
const STORAGE_KEY = 'mistohub.lang';

const uk = {
  'app.name': 'mistohub',
  'app.tagline': 'Телеметрія міської інфраструктури Кропивницького',
  'skip.toMain': 'Перейти до основного вмісту',
  'nav.label': 'Панелі',
  'nav.home': 'Головна',
  'nav.transit': 'Транспорт',
  'nav.lighting': 'Освітлення',
  'nav.energy': 'Енергія',
  'lang.toggle': 'English',
  'lang.toggleLabel': 'Switch the interface to English',
  'lang.current': 'Мова інтерфейсу: українська',
  'demo.badge': 'ДЕМО',
  'demo.title': 'Демонстраційні дані від симуляторів, не реальні пристрої',
  'status.idle': 'Не підключено',
  'status.connecting': 'Підключення…',
  'status.live': 'Наживо',
  'status.offline': 'Зв’язок втрачено, повторне підключення…',
  'status.unauthorized': 'Потрібен вхід',
  'status.forbidden': 'Немає доступу',
  'status.signedOut': 'Не виконано вхід',
  'auth.signIn': 'Увійти',
  'auth.signOut': 'Вийти',
  'auth.missing': 'Ви не ввійшли. Увійдіть на головній сторінці, щоб бачити живі дані.',
  'auth.refused': 'Сервер відхилив ваш токен (недійсний або прострочений). Увійдіть знову.',
  'auth.forbidden': 'Ваш обліковий запис не має доступу до цієї панелі. Потрібна роль: {role}.',
  'auth.goSignIn': 'Перейти до входу',
  'time.justNow': 'щойно',
  'time.secondsAgo': '{n} с тому',
  'time.minutesAgo': '{n} хв тому',
  'time.hoursAgo': '{n} год тому',
  'time.daysAgo': '{n} дн тому',
  'table.sortBy': 'Сортувати за: {col}',
  'table.empty': 'Немає даних для показу',
  'table.emptyFiltered': 'Нічого не знайдено за цим фільтром',
  'filter.search': 'Пошук',
  'filter.searchPlaceholder': 'номер, назва…',
  'filter.all': 'Усі',
  'filter.onlyStale': 'Лише без зв’язку',
  'filter.onlyFaults': 'Лише з несправностями',
  'map.heading': 'Схема',
  'map.fit': 'Показати все',
  'map.north': 'Пн',
  'map.noCoords': 'без координат: {n}',
  'common.yes': 'так',
  'common.no': 'ні',
  'common.stale': 'без зв’язку',
  'common.live': 'на зв’язку',
  'common.none': '—',
  'common.total': 'усього',
  // start page
  'start.title': 'mistohub — головна',
  'start.heading': 'Панелі диспетчерів',
  'start.transit.desc': 'Рух тролейбусів і автобусів наживо: карта, маршрути, застарілі трекери.',
  'start.lighting.desc': 'Шафи зовнішнього освітлення: рівень диммування, потужність, напруга, несправності.',
  'start.energy.desc': 'Лічильники бюджетних будівель: потужність, показники, графік споживання.',
  'start.signInHeading': 'Вхід',
  'start.signedInAs': 'Ви ввійшли. Ролі: {roles}.',
  'start.signedInToken': 'Ви ввійшли з токеном доступу.',
  'start.notSignedIn': 'Ви ще не ввійшли.',
  'start.passwordHeading': 'Ім’я користувача та пароль',
  'start.username': 'Ім’я користувача',
  'start.password': 'Пароль',
  'start.tokenHeading': 'Або вставте токен доступу',
  'start.token': 'Токен (Bearer)',
  'start.useToken': 'Використати токен',
  'start.signingIn': 'Вхід…',
  'start.badCredentials': 'Неправильне ім’я користувача або пароль.',
  'start.rateLimited': 'Забагато невдалих спроб. Зачекайте й спробуйте знову.',
  'start.serverError': 'Не вдалося ввійти: {message}',
  'start.networkError': 'Сервер недоступний. Перевірте з’єднання.',
  'start.emptyFields': 'Введіть ім’я користувача та пароль.',
  'start.emptyToken': 'Вставте токен.',
  'start.signedOut': 'Ви вийшли.',
  'start.tokenNote': 'Токен зберігається лише в цій вкладці браузера (sessionStorage) і зникає, коли ви її закриєте.',
  'start.healthHeading': 'Стан системи',
  'start.healthUnavailable': 'Стан системи недоступний.',
  'start.healthOverall': 'Загалом: {status}',
  'health.ok': 'у нормі',
  'health.degraded': 'з обмеженнями',
  'health.down': 'не працює',
  // transit
  'transit.title': 'mistohub — транспорт',
  'transit.heading': 'Громадський транспорт',
  'transit.mapLabel': 'Схема розташування транспорту: {n} на схемі',
  'transit.tableCaption': 'Транспортні засоби',
  'transit.route': 'Маршрут',
  'transit.allRoutes': 'Усі маршрути',
  'transit.noRoute': 'без маршруту',
  'transit.vehicle': 'Транспорт',
  'transit.speed': 'Швидкість',
  'transit.speedUnit': 'км/год',
  'transit.lastUpdate': 'Оновлено',
  'transit.state': 'Стан',
  'transit.countLive': 'На зв’язку: {n}',
  'transit.countStale': 'Без зв’язку: {n}',
  'transit.countShown': 'Показано: {n} з {total}',
  'transit.mapNetworkLabel': 'Схема маршрутів: {routes} маршрутів, {stops} зупинок, {n} транспортних засобів',
  'transit.legend': 'Маршрути (натисніть, щоб показати лише один)',
  'transit.noFeed': 'Розклад (GTFS) не завантажено: маршрути й зупинки не показано',
  'transit.vehiclePanel': 'Транспортний засіб',
  'transit.vehicleNone': 'Виберіть транспорт у таблиці або на схемі',
  'transit.trip': 'Рейс',
  'transit.noTrip': 'не на рейсі',
  'transit.delay': 'Відхилення',
  'transit.onTime': 'за розкладом',
  'transit.late': 'запізнення {n} хв',
  'transit.early': 'випередження {n} хв',
  'transit.offRoute': 'поза маршрутом',
  'transit.nextStops': 'Наступні зупинки',
  'transit.nextStopsNone': 'Немає прогнозів',
  'transit.eta': 'Прибуття',
  'transit.scheduled': 'за розкладом {time}',
  'transit.opsAlerts': 'Оперативні сповіщення',
  'transit.opsAlertsNone': 'Немає активних сповіщень',
  'transit.ack': 'Підтвердити',
  'transit.acked': 'підтверджено ({who})',
  'transit.ackFailed': 'Не вдалося підтвердити: {status}',
  'transit.kind.bunching': 'Скупчення',
  'transit.kind.gap': 'Розрив інтервалу',
  'transit.kind.early': 'Випередження',
  'transit.kind.late': 'Запізнення',
  'transit.kind.off-route': 'Поза маршрутом',
  'transit.kind.stale-tracker': 'Трекер мовчить',
  'transit.kind.no-vehicle': 'Рейс без транспорту',
  // lighting
  'lighting.title': 'mistohub — освітлення',
  'lighting.heading': 'Зовнішнє освітлення',
  'lighting.mapLabel': 'Схема розташування шаф освітлення: {n} на схемі',
  'lighting.tableCaption': 'Шафи керування освітленням',
  'lighting.cabinet': 'Шафа',
  'lighting.group': 'Група',
  'lighting.allGroups': 'Усі групи',
  'lighting.noGroup': 'без групи',
  'lighting.on': 'увімкнено',
  'lighting.off': 'вимкнено',
  'lighting.offShort': 'вимк.',
  'lighting.level': 'Рівень',
  'lighting.power': 'Потужність',
  'lighting.voltage': 'Напруга',
  'lighting.energy': 'Енергія',
  'lighting.faults': 'Несправності',
  'lighting.lastUpdate': 'Оновлено',
  'lighting.totalPower': 'Потужність зараз: {value}',
  'lighting.countOn': 'Увімкнено: {n} з {total}',
  'lighting.countFaults': 'З несправностями: {n}',
  'lighting.countStale': 'Без зв’язку: {n}',
  'fault.lamp-failure': 'відмова лампи',
  'fault.no-communication': 'немає зв’язку',
  'fault.burning-by-day': 'горить удень',
  'fault.power-mismatch': 'потужність не за рівнем',
  'fault.voltage-out-of-range': 'напруга поза межами',
  // energy
  'energy.title': 'mistohub — енергоспоживання',
  'energy.heading': 'Енергоспоживання будівель',
  'energy.tableCaption': 'Лічильники',
  'energy.building': 'Будівля',
  'energy.allBuildings': 'Усі будівлі',
  'energy.noBuilding': 'без будівлі',
  'energy.meter': 'Лічильник',
  'energy.power': 'Потужність',
  'energy.register': 'Показник',
  'energy.lastReading': 'Останній показник',
  'energy.totalPower': 'Електрична потужність зараз: {value}',
  'energy.totalHeat': 'Теплова потужність зараз: {value}',
  'energy.countMeters': 'Лічильників: {n}',
  'energy.countStale': 'Без зв’язку: {n}',
  'energy.chartHeading': 'Сумарна електрична потужність, останні {min} хв',
  'energy.chartLabel': 'Графік сумарної електричної потужності. Зараз: {value}',
  'energy.chartSeries': 'Потужність, кВт',
  'unit.m': 'м',
  'unit.km': 'км',
  'unit.kW': 'кВт',
  'unit.W': 'Вт',
  'unit.V': 'В',
  'unit.kWh': 'кВт·год',
  'unit.m3': 'м³',
  'unit.Gcal': 'Гкал',
  'unit.GJ': 'ГДж',
  'stop.title': 'Табло зупинки',
  'stop.route': 'Маршрут',
  'stop.destination': 'Напрямок',
  'stop.when': 'Через',
  'stop.arriving': 'прибуває',
  'stop.minutes': '{n} хв',
  'stop.scheduled': 'за розкладом',
  'stop.none': 'Найближчим часом рейсів немає',
  'stop.loading': 'Завантаження…',
  'stop.stale': 'Немає зв’язку з сервером. Дані можуть бути застарілими: оновлено о {time}.',
  'stop.staleNever': 'Немає зв’язку з сервером. Даних ще немає.',
  'stop.noToken': 'Табло не налаштоване: відкрийте його адресу з токеном дисплея (#token=…).',
  'stop.forbidden': 'Цьому табло не дозволено показувати зупинку {stop}.',
  'stop.unknown': 'Зупинки {stop} немає в розкладі.',
  'stop.alerts': 'Увага',
  'stop.updated': 'Оновлено о {time}',
} as const;

export type MsgKey = keyof typeof uk;

const en: Record<MsgKey, string> = {
  'app.name': 'mistohub',
  'app.tagline': 'Telemetry of Kropyvnytskyi city infrastructure',
  'skip.toMain': 'Skip to main content',
  'nav.label': 'Dashboards',
  'nav.home': 'Home',
  'nav.transit': 'Transit',
  'nav.lighting': 'Lighting',
  'nav.energy': 'Energy',
  'lang.toggle': 'Українська',
  'lang.toggleLabel': 'Перемкнути інтерфейс українською',
  'lang.current': 'Interface language: English',
  'demo.badge': 'DEMO',
  'demo.title': 'Demo data from simulators, not real devices',
  'status.idle': 'Not connected',
  'status.connecting': 'Connecting…',
  'status.live': 'Live',
  'status.offline': 'Connection lost, reconnecting…',
  'status.unauthorized': 'Sign-in needed',
  'status.forbidden': 'No access',
  'status.signedOut': 'Not signed in',
  'auth.signIn': 'Sign in',
  'auth.signOut': 'Sign out',
  'auth.missing': 'You are not signed in. Sign in on the start page to see live data.',
  'auth.refused': 'The server refused your token (invalid or expired). Please sign in again.',
  'auth.forbidden': 'Your account has no access to this dashboard. Role needed: {role}.',
  'auth.goSignIn': 'Go to sign-in',
  'time.justNow': 'just now',
  'time.secondsAgo': '{n} s ago',
  'time.minutesAgo': '{n} min ago',
  'time.hoursAgo': '{n} h ago',
  'time.daysAgo': '{n} d ago',
  'table.sortBy': 'Sort by: {col}',
  'table.empty': 'No data to show',
  'table.emptyFiltered': 'Nothing matches this filter',
  'filter.search': 'Search',
  'filter.searchPlaceholder': 'number, name…',
  'filter.all': 'All',
  'filter.onlyStale': 'Only without signal',
  'filter.onlyFaults': 'Only with faults',
  'map.heading': 'Schematic map',
  'map.fit': 'Show all',
  'map.north': 'N',
  'map.noCoords': 'without coordinates: {n}',
  'common.yes': 'yes',
  'common.no': 'no',
  'common.stale': 'no signal',
  'common.live': 'live',
  'common.none': '—',
  'common.total': 'total',
  'start.title': 'mistohub — home',
  'start.heading': 'Operator dashboards',
  'start.transit.desc': 'Trolleybuses and buses live: map, routes, stale trackers.',
  'start.lighting.desc': 'Street lighting cabinets: dim level, power, voltage, faults.',
  'start.energy.desc': 'Meters of public buildings: power, register readings, consumption chart.',
  'start.signInHeading': 'Sign in',
  'start.signedInAs': 'You are signed in. Roles: {roles}.',
  'start.signedInToken': 'You are signed in with an access token.',
  'start.notSignedIn': 'You are not signed in yet.',
  'start.passwordHeading': 'Username and password',
  'start.username': 'Username',
  'start.password': 'Password',
  'start.tokenHeading': 'Or paste an access token',
  'start.token': 'Token (Bearer)',
  'start.useToken': 'Use token',
  'start.signingIn': 'Signing in…',
  'start.badCredentials': 'Wrong username or password.',
  'start.rateLimited': 'Too many failed attempts. Wait a little and try again.',
  'start.serverError': 'Sign-in failed: {message}',
  'start.networkError': 'The server cannot be reached. Check the connection.',
  'start.emptyFields': 'Enter a username and a password.',
  'start.emptyToken': 'Paste a token.',
  'start.signedOut': 'You have signed out.',
  'start.tokenNote': 'The token is kept only in this browser tab (sessionStorage) and is gone when you close it.',
  'start.healthHeading': 'System health',
  'start.healthUnavailable': 'System health is unavailable.',
  'start.healthOverall': 'Overall: {status}',
  'health.ok': 'ok',
  'health.degraded': 'degraded',
  'health.down': 'down',
  'transit.title': 'mistohub — transit',
  'transit.heading': 'Public transport',
  'transit.mapLabel': 'Schematic map of vehicles: {n} on the map',
  'transit.tableCaption': 'Vehicles',
  'transit.route': 'Route',
  'transit.allRoutes': 'All routes',
  'transit.noRoute': 'no route',
  'transit.vehicle': 'Vehicle',
  'transit.speed': 'Speed',
  'transit.speedUnit': 'km/h',
  'transit.lastUpdate': 'Updated',
  'transit.state': 'State',
  'transit.countLive': 'Live: {n}',
  'transit.countStale': 'No signal: {n}',
  'transit.countShown': 'Shown: {n} of {total}',
  'transit.mapNetworkLabel': 'Route map: {routes} routes, {stops} stops, {n} vehicles',
  'transit.legend': 'Routes (press one to show it alone)',
  'transit.noFeed': 'No timetable (GTFS) loaded: routes and stops are not shown',
  'transit.vehiclePanel': 'Vehicle',
  'transit.vehicleNone': 'Pick a vehicle in the table or on the map',
  'transit.trip': 'Trip',
  'transit.noTrip': 'on no trip',
  'transit.delay': 'Adherence',
  'transit.onTime': 'on time',
  'transit.late': '{n} min late',
  'transit.early': '{n} min early',
  'transit.offRoute': 'off route',
  'transit.nextStops': 'Next stops',
  'transit.nextStopsNone': 'No predictions',
  'transit.eta': 'Arrival',
  'transit.scheduled': 'scheduled {time}',
  'transit.opsAlerts': 'Operations alerts',
  'transit.opsAlertsNone': 'No active alerts',
  'transit.ack': 'Acknowledge',
  'transit.acked': 'acknowledged ({who})',
  'transit.ackFailed': 'Could not acknowledge: {status}',
  'transit.kind.bunching': 'Bunching',
  'transit.kind.gap': 'Headway gap',
  'transit.kind.early': 'Early',
  'transit.kind.late': 'Late',
  'transit.kind.off-route': 'Off route',
  'transit.kind.stale-tracker': 'Tracker silent',
  'transit.kind.no-vehicle': 'Trip with no vehicle',
  'lighting.title': 'mistohub — lighting',
  'lighting.heading': 'Street lighting',
  'lighting.mapLabel': 'Schematic map of lighting cabinets: {n} on the map',
  'lighting.tableCaption': 'Lighting control cabinets',
  'lighting.cabinet': 'Cabinet',
  'lighting.group': 'Group',
  'lighting.allGroups': 'All groups',
  'lighting.noGroup': 'no group',
  'lighting.on': 'on',
  'lighting.off': 'off',
  'lighting.offShort': 'off',
  'lighting.level': 'Level',
  'lighting.power': 'Power',
  'lighting.voltage': 'Voltage',
  'lighting.energy': 'Energy',
  'lighting.faults': 'Faults',
  'lighting.lastUpdate': 'Updated',
  'lighting.totalPower': 'Power now: {value}',
  'lighting.countOn': 'On: {n} of {total}',
  'lighting.countFaults': 'With faults: {n}',
  'lighting.countStale': 'No signal: {n}',
  'fault.lamp-failure': 'lamp failure',
  'fault.no-communication': 'no communication',
  'fault.burning-by-day': 'burning by day',
  'fault.power-mismatch': 'power off level',
  'fault.voltage-out-of-range': 'voltage out of range',
  'energy.title': 'mistohub — energy',
  'energy.heading': 'Energy use of buildings',
  'energy.tableCaption': 'Meters',
  'energy.building': 'Building',
  'energy.allBuildings': 'All buildings',
  'energy.noBuilding': 'no building',
  'energy.meter': 'Meter',
  'energy.power': 'Power',
  'energy.register': 'Register',
  'energy.lastReading': 'Last reading',
  'energy.totalPower': 'Electric power now: {value}',
  'energy.totalHeat': 'Heat power now: {value}',
  'energy.countMeters': 'Meters: {n}',
  'energy.countStale': 'No signal: {n}',
  'energy.chartHeading': 'Total electric power, last {min} min',
  'energy.chartLabel': 'Chart of total electric power. Now: {value}',
  'energy.chartSeries': 'Power, kW',
  'unit.m': 'm',
  'unit.km': 'km',
  'unit.kW': 'kW',
  'unit.W': 'W',
  'unit.V': 'V',
  'unit.kWh': 'kWh',
  'unit.m3': 'm³',
  'unit.Gcal': 'Gcal',
  'unit.GJ': 'GJ',
  'stop.title': 'Stop board',
  'stop.route': 'Route',
  'stop.destination': 'Destination',
  'stop.when': 'Due',
  'stop.arriving': 'arriving',
  'stop.minutes': '{n} min',
  'stop.scheduled': 'scheduled',
  'stop.none': 'No departures soon',
  'stop.loading': 'Loading…',
  'stop.stale': 'No connection to the server. The times may be out of date: last updated at {time}.',
  'stop.staleNever': 'No connection to the server. No data yet.',
  'stop.noToken': 'This board is not set up: open its address with the display token (#token=…).',
  'stop.forbidden': 'This display may not show stop {stop}.',
  'stop.unknown': 'Stop {stop} is not in the timetable.',
  'stop.alerts': 'Notice',
  'stop.updated': 'Updated at {time}',
};

export const dictionary: Record<Lang, Record<MsgKey, string>> = { uk, en };

export function isMsgKey(key: string): key is MsgKey {
  return Object.prototype.hasOwnProperty.call(uk, key);
}

/** A string of the given language with `{name}` placeholders filled in. */
export function translate(lang: Lang, key: MsgKey, params?: Record<string, string | number>): string {
  const text = dictionary[lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

let current: Lang = DEFAULT_LANG;
const listeners = new Set<(lang: Lang) => void>();

export function getLang(): Lang {
  return current;
}

/** A string in the current language. */
export function t(key: MsgKey, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}

/** The BCP 47 locale for number and date formatting. */
export function locale(lang: Lang = current): string {
  return lang === 'uk' ? 'uk-UA' : 'en-GB';
}

export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function readStoredLang(): Lang {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    return stored === 'en' || stored === 'uk' ? stored : DEFAULT_LANG;
  } catch {
    return DEFAULT_LANG;
  }
}

/**
 * Fills every element under `root` that carries `data-i18n="key"` (text) or
 * `data-i18n-attr="attr:key;attr:key"` (attributes).
 */
export function applyI18n(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset.i18n ?? '';
    if (isMsgKey(key)) el.textContent = t(key);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-attr]')) {
    for (const pair of (el.dataset.i18nAttr ?? '').split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key && isMsgKey(key)) el.setAttribute(attr, t(key));
    }
  }
  const titleKey = document.documentElement.dataset.titleKey ?? '';
  if (isMsgKey(titleKey)) document.title = t(titleKey);
}

export function setLang(lang: Lang): void {
  current = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // storage may be disabled; the choice then lasts for this page only
  }
  document.documentElement.lang = lang;
  applyI18n(document);
  for (const fn of listeners) fn(lang);
}

/** Reads the stored choice and applies it; call once at page start. */
export function initLang(): Lang {
  current = readStoredLang();
  document.documentElement.lang = current;
  applyI18n(document);
  return current;
}
