/**
 * Cron expressions: five fields (minute hour day-of-month month day-of-week) with `*`, `*∕n`,
 * `a-b`, `a-b/n`, `a/n`, lists, month and weekday names, 7 for Sunday, and the @hourly-style
 * macros; the next time one fires, in UTC or in an IANA time zone. Pure.
 *
 * Days follow Vixie cron: when both day fields are restricted (neither starts with `*`), a day
 * matches either; otherwise it must match both (`*` matches every day). In a time zone, a wall-clock time that
 * a spring-forward gap skips fires once, at the end of the gap; one that a fall-back overlap
 * repeats fires at its first occurrence only, unless the hour field is every hour (then at
 * each, as the clock shows it).
 */
import { InvalidArgumentError } from "./errors.ts";
import { instantsOf, isUtc, nextTransition, offsetAt } from "./time-zones.ts";

export interface CronExpression {
  /** The expression as written (a macro stays a macro). */
  readonly source: string;
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  /** Indexed by day 1-31. */
  readonly daysOfMonth: readonly boolean[];
  /** Indexed by month 1-12. */
  readonly months: readonly boolean[];
  /** Indexed by weekday 0-6, Sunday 0. */
  readonly daysOfWeek: readonly boolean[];
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldDef[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  // 7 is Sunday too.
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export function parseCron(expression: string): CronExpression {
  const source = expression.trim();
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`cron expression ${JSON.stringify(expression)}: ${why}`);
  };
  let text = source;
  if (text.startsWith("@")) {
    text = MACROS[text.toLowerCase()] ?? fail(`unknown macro ${text}; known: ${Object.keys(MACROS).join(", ")}`);
  }
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    fail(`expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  }
  const sets = fields.map((field, i) => parseField(field, FIELDS[i], fail));
  const dow = sets[4];
  // Sunday is 0 and 7.
  if (dow[7]) dow[0] = true;
  const cron: CronExpression = {
    source,
    minutes: sets[0],
    hours: sets[1],
    daysOfMonth: sets[2],
    months: sets[3],
    daysOfWeek: dow.slice(0, 7),
    domRestricted: !fields[2].startsWith("*"),
    dowRestricted: !fields[4].startsWith("*"),
  };
  // Weekdays come round on every date in time; only dates that do not exist never fire.
  if (!(cron.domRestricted && cron.dowRestricted) && !someDayExists(cron)) {
    fail(`it never fires: no month in the month field "${fields[3]}" has a day in the day-of-month field "${fields[2]}"`);
  }
  return cron;
}

function parseField(field: string, def: FieldDef, fail: (why: string) => never): boolean[] {
  const set = new Array<boolean>(def.max + 1).fill(false);
  const bad = (why: string): never => fail(`${def.name} field ${JSON.stringify(field)}: ${why}`);
  const value = (token: string): number => {
    const upper = token.toUpperCase();
    const named = def.names?.indexOf(upper) ?? -1;
    if (named >= 0) return named + (def.name === "month" ? 1 : 0);
    if (!/^\d+$/.test(token)) {
      bad(`${JSON.stringify(token)} is not a number${def.names ? ` or a name (${def.names.join(", ")})` : ""}`);
    }
    const n = Number(token);
    if (n < def.min || n > def.max) bad(`${n} is outside ${def.min}-${def.max}`);
    return n;
  };
  for (const item of field.split(",")) {
    if (item === "") bad("an empty list item");
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined) bad(`${JSON.stringify(item)} has more than one /`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) bad(`the step in ${JSON.stringify(item)} must be a positive whole number`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === "*") {
      from = def.min;
      to = def.name === "day-of-week" ? 6 : def.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === "" || b === "") bad(`${JSON.stringify(range)} is not a range such as 1-5`);
      from = value(a);
      to = value(b);
      if (to < from) bad(`the range ${range} goes backwards`);
    } else {
      from = value(range);
      // "a/n" is a to the end, every n.
      to = stepText !== undefined ? def.max : from;
    }
    for (let n = from; n <= to; n += step) set[n] = true;
  }
  return set;
}

const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function someDayExists(cron: CronExpression): boolean {
  for (let m = 1; m <= 12; m++) {
    if (!cron.months[m]) continue;
    for (let d = 1; d <= DAYS_IN_MONTH[m]; d++) if (cron.daysOfMonth[d]) return true;
  }
  return false;
}

function dayMatches(cron: CronExpression, date: Date): boolean {
  const dom = cron.daysOfMonth[date.getUTCDate()];
  const dow = cron.daysOfWeek[date.getUTCDay()];
  // Vixie cron: either, when neither field starts with *; else both (a plain * matches every day).
  return cron.domRestricted && cron.dowRestricted ? dom || dow : dom && dow;
}

const MINUTE = 60_000;
/** The Gregorian weekday cycle: any date and weekday that ever coincide do within it. */
const SEARCH_YEARS = 28;

/** The first wall-clock minute at or after `naive` (a naive time, see time-zones.ts) that matches. */
export function nextNaiveMatch(cron: CronExpression, naive: number): number | undefined {
  let t = Math.ceil(naive / MINUTE) * MINUTE;
  const lastYear = new Date(t).getUTCFullYear() + SEARCH_YEARS;
  for (;;) {
    const d = new Date(t);
    const year = d.getUTCFullYear();
    if (year > lastYear) return undefined;
    const month = d.getUTCMonth();
    if (!cron.months[month + 1]) {
      t = Date.UTC(year, month + 1, 1);
      continue;
    }
    if (!dayMatches(cron, d)) {
      t = Date.UTC(year, month, d.getUTCDate() + 1);
      continue;
    }
    const hour = d.getUTCHours();
    if (!cron.hours[hour]) {
      t = Date.UTC(year, month, d.getUTCDate(), hour + 1);
      continue;
    }
    if (!cron.minutes[d.getUTCMinutes()]) {
      t += MINUTE;
      continue;
    }
    return t;
  }
}

/** The first instant after `after` at which the expression fires, in the zone (default UTC). */
export function nextCronFire(cron: CronExpression, after: number, zone?: string): number | undefined {
  let u = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  if (zone === undefined || isUtc(zone)) return nextNaiveMatch(cron, u);
  const everyHour = cron.hours.every(Boolean);
  // Each round moves u forward; a handful suffice (a transition costs one or two).
  for (let round = 0; round < 1000; round++) {
    const offset = offsetAt(zone, u);
    const local = u + offset;
    const naive = nextNaiveMatch(cron, local);
    if (naive === undefined) return undefined;
    if (naive === local) {
      if (everyHour || !repeatedWallClock(zone, u, offset)) return u;
      u += MINUTE;
      continue;
    }
    const sameOffset = naive - offset;
    if (offsetAt(zone, sameOffset) === offset) {
      u = sameOffset;
      continue;
    }
    // The offset changes before that wall-clock time: go to the change and look again from
    // there, unless the time lies in the gap the change made (then it fires at the change).
    const change = nextTransition(zone, u, sameOffset) ?? sameOffset;
    if (instantsOf(zone, naive).length === 0 && naive < change + offsetAt(zone, change)) return change;
    u = change;
  }
  return undefined;
}

/** Whether the clocks showed this instant's wall-clock time once already (a fall-back overlap). */
function repeatedWallClock(zone: string, instant: number, offset: number): boolean {
  const [first] = instantsOf(zone, instant + offset);
  return first !== undefined && first < instant;
}
