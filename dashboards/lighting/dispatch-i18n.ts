/**
 * The dispatch part of the lighting page (schedule, overrides, commands, faults) in Ukrainian
 * (default) and English. Kept beside the page so the shared dictionary stays the shared strings;
 * it follows the language the shared header sets.
 */
import { getLang } from '../shared/i18n.ts';

const uk = {
  'tab.live': 'Стан шаф',
  'tab.dispatch': 'Керування',
  'tabs.label': 'Розділи сторінки освітлення',
  'schedule.heading': 'Графік групи',
  'schedule.group': 'Група',
  'schedule.noGroups': 'Груп ще немає (PUT /api/v1/lighting/groups/:groupId)',
  'schedule.on': 'Увімкнення',
  'schedule.off': 'Вимкнення',
  'schedule.sunset': 'захід сонця',
  'schedule.sunrise': 'схід сонця',
  'schedule.time': 'фіксований час',
  'schedule.offset': 'зсув, хв',
  'schedule.atTime': 'о',
  'schedule.steps': 'Кроки диммування (ГГ:ХХ рівень, …)',
  'schedule.stepsHint': 'напр. 23:00 50, 05:00 100',
  'schedule.minOn': 'Мін. час горіння, хв',
  'schedule.preview': 'Переглянути',
  'schedule.save': 'Зберегти',
  'schedule.saved': 'Графік збережено',
  'schedule.none': 'У групи ще немає графіка: заповніть і збережіть.',
  'schedule.badSteps': 'Кроки: очікується «ГГ:ХХ рівень» через кому',
  'timeline.heading': 'Сьогоднішня ніч ({date})',
  'timeline.unlit': 'Цієї ночі освітлення не вмикається',
  'timeline.on': 'увімкнення',
  'timeline.off': 'вимкнення',
  'timeline.label': 'Часова шкала ночі: увімкнення {on}, вимкнення {off}',
  'override.heading': 'Ручне керування',
  'override.target': 'Об’єкт',
  'override.level': 'Рівень, %',
  'override.duration': 'Тривалість, хв',
  'override.priority': 'Пріоритет',
  'override.operator': 'оператор',
  'override.emergency': 'аварійний',
  'override.submit': 'Застосувати',
  'override.active': 'Діючі',
  'override.none': 'Немає діючих перевизначень',
  'override.until': 'до {time}',
  'override.end': 'Скасувати',
  'override.groupPrefix': 'група',
  'override.cabinetPrefix': 'шафа',
  'commands.heading': 'Команди',
  'commands.created': 'Створено',
  'commands.cabinet': 'Шафа',
  'commands.action': 'Дія',
  'commands.source': 'Джерело',
  'commands.state': 'Стан',
  'commands.attempts': 'Спроб',
  'commands.detail': 'Примітка',
  'commands.none': 'Команд ще немає',
  'state.pending': 'очікує',
  'state.sent': 'надіслано',
  'state.acknowledged': 'підтверджено',
  'state.rejected': 'відхилено',
  'state.expired': 'прострочено',
  'state.failed': 'не доставлено',
  'action.set-level': 'рівень {level} %',
  'action.on': 'увімкнути',
  'action.off': 'вимкнути',
  'action.resume-schedule': 'за власним графіком',
  'source.schedule': 'графік',
  'source.override': 'ручне',
  'faults.heading': 'Несправності',
  'faults.raised': 'Виникла',
  'faults.cabinet': 'Шафа',
  'faults.fault': 'Несправність',
  'faults.detail': 'Подробиці',
  'faults.ack': 'Підтвердити',
  'faults.acked': 'підтверджено: {who}',
  'faults.none': 'Несправностей немає',
  'error.prefix': 'Помилка: {message}',
};

const en: Record<keyof typeof uk, string> = {
  'tab.live': 'Cabinets',
  'tab.dispatch': 'Control',
  'tabs.label': 'Sections of the lighting page',
  'schedule.heading': 'Group schedule',
  'schedule.group': 'Group',
  'schedule.noGroups': 'No groups yet (PUT /api/v1/lighting/groups/:groupId)',
  'schedule.on': 'Switch on',
  'schedule.off': 'Switch off',
  'schedule.sunset': 'sunset',
  'schedule.sunrise': 'sunrise',
  'schedule.time': 'fixed time',
  'schedule.offset': 'offset, min',
  'schedule.atTime': 'at',
  'schedule.steps': 'Dimming steps (HH:MM level, …)',
  'schedule.stepsHint': 'e.g. 23:00 50, 05:00 100',
  'schedule.minOn': 'Min. burning time, min',
  'schedule.preview': 'Preview',
  'schedule.save': 'Save',
  'schedule.saved': 'Schedule saved',
  'schedule.none': 'This group has no schedule yet: fill it in and save.',
  'schedule.badSteps': 'Steps: expected "HH:MM level", comma-separated',
  'timeline.heading': 'Tonight ({date})',
  'timeline.unlit': 'The lamps stay off this night',
  'timeline.on': 'on',
  'timeline.off': 'off',
  'timeline.label': 'Timeline of the night: on {on}, off {off}',
  'override.heading': 'Manual override',
  'override.target': 'Target',
  'override.level': 'Level, %',
  'override.duration': 'Duration, min',
  'override.priority': 'Priority',
  'override.operator': 'operator',
  'override.emergency': 'emergency',
  'override.submit': 'Apply',
  'override.active': 'Active',
  'override.none': 'No active overrides',
  'override.until': 'until {time}',
  'override.end': 'End',
  'override.groupPrefix': 'group',
  'override.cabinetPrefix': 'cabinet',
  'commands.heading': 'Commands',
  'commands.created': 'Created',
  'commands.cabinet': 'Cabinet',
  'commands.action': 'Action',
  'commands.source': 'Source',
  'commands.state': 'State',
  'commands.attempts': 'Sends',
  'commands.detail': 'Note',
  'commands.none': 'No commands yet',
  'state.pending': 'pending',
  'state.sent': 'sent',
  'state.acknowledged': 'acknowledged',
  'state.rejected': 'rejected',
  'state.expired': 'expired',
  'state.failed': 'failed',
  'action.set-level': 'level {level} %',
  'action.on': 'switch on',
  'action.off': 'switch off',
  'action.resume-schedule': 'own schedule',
  'source.schedule': 'schedule',
  'source.override': 'override',
  'faults.heading': 'Faults',
  'faults.raised': 'Raised',
  'faults.cabinet': 'Cabinet',
  'faults.fault': 'Fault',
  'faults.detail': 'Detail',
  'faults.ack': 'Acknowledge',
  'faults.acked': 'acknowledged: {who}',
  'faults.none': 'No faults',
  'error.prefix': 'Error: {message}',
};

export type DispatchKey = keyof typeof uk;
const dictionary = { uk, en } as const;

export function isDispatchKey(key: string): key is DispatchKey {
  return Object.prototype.hasOwnProperty.call(uk, key);
}

/** A dispatch string in the page's current language. */
export function tr(key: DispatchKey, params?: Record<string, string | number>): string {
  const text = dictionary[getLang()][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Fills `data-ld="key"` text and `data-ld-attr="attr:key"` attributes under root. */
export function applyDispatchI18n(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-ld]')) {
    const key = el.dataset.ld ?? '';
    if (isDispatchKey(key)) el.textContent = tr(key);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-ld-attr]')) {
    for (const pair of (el.dataset.ldAttr ?? '').split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key && isDispatchKey(key)) el.setAttribute(attr, tr(key));
    }
  }
}
