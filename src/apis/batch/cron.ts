// Cron schedules as CronJobs take them (robfig/cron's standard parser): five fields — minute,
// hour, day of month, month, day of week — with lists, ranges, steps, month and weekday names,
// `?`, and the @yearly/@monthly/@weekly/@daily/@hourly macros; evaluated as wall-clock time in an
// IANA time zone (Intl), so DST shifts behave as on a wall clock.

export interface CronSchedule {
  minute: Set<number>;
  hour: Set<number>;
  dom: Set<number>;
  month: Set<number>;
  dow: Set<number>;
  /** Day of month or day of week was `*` / `?`: then both must match, else either (cron's rule). */
  domStar: boolean;
  dowStar: boolean;
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesFrom?: number;
}

const FIELDS: Bounds[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day of week", min: 0, max: 6, names: DAYS, namesFrom: 0 },
];

function value(s: string, b: Bounds): number {
  const named = b.names?.indexOf(s.toLowerCase()) ?? -1;
  if (named >= 0) return named + b.namesFrom!;
  if (!/^\d+$/.test(s)) throw new Error(`failed to parse int from ${s}`);
  const n = Number(s);
  if (n < b.min) throw new Error(`beginning of range (${n}) below minimum (${b.min}): ${s}`);
  if (n > b.max) throw new Error(`end of range (${n}) above maximum (${b.max}): ${s}`);
  return n;
}

function field(expr: string, b: Bounds): Set<number> {
  const out = new Set<number>();
  for (const part of expr.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new Error(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") [lo, hi] = [b.min, b.max];
    else {
      const [a, z, more] = range!.split("-");
      if (more !== undefined) throw new Error(`too many hyphens: ${part}`);
      lo = value(a!, b);
      hi = z === undefined ? (stepText === undefined ? lo : b.max) : value(z, b);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0 || !/^\d+$/.test(stepText ?? "1")) throw new Error(`step of range should be a positive number: ${part}`);
    if (lo > hi) throw new Error(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let i = lo; i <= hi; i += step) out.add(i);
  }
  return out;
}

/** Parses a schedule; throws with robfig's wording on anything else. */
export function parseSchedule(spec: string): CronSchedule {
  const text = spec.trim();
  if (text.startsWith("@")) {
    if (text.startsWith("@every")) throw new Error("@every is not supported by kubun; use a five-field schedule");
    const expanded = MACROS[text];
    if (!expanded) throw new Error(`unrecognized descriptor: ${text}`);
    return parseSchedule(expanded);
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${text}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => field(p, FIELDS[i]!)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const star = (p: string) => p.startsWith("*") || p.startsWith("?");
  return { minute, hour, dom, month, dow, domStar: star(parts[2]!), dowStar: star(parts[4]!) };
}

/** Throws a RangeError for a zone Intl does not know. */
export function checkTimeZone(tz: string): void {
  new Intl.DateTimeFormat("en-US", { timeZone: tz });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  weekday: number; // 0 = Sunday
}

function wallClock(ms: number, tz: string): Wall {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { year: +p.year!, month: +p.month!, day: +p.day!, hour: +p.hour!, minute: +p.minute!, weekday: DAYS.indexOf(p.weekday!.toLowerCase()) };
}

/** The instant of a wall-clock time in `tz` (fields may overflow: month 13 is next January). */
function instant(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(guess, tz);
    const offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(guess / 60_000) * 60_000;
    guess = wall - offset;
  }
  return guess;
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.dom.has(w.day);
  const dow = s.dow.has(w.weekday);
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

/** The first scheduled minute strictly after `after` (ms), or undefined if none within 5 years. */
export function nextTime(s: CronSchedule, after: number, tz: string): number | undefined {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  const limit = after + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const w = wallClock(t, tz);
    let next: number;
    if (!s.month.has(w.month)) next = instant(tz, w.year, w.month + 1, 1, 0, 0);
    else if (!dayMatches(s, w)) next = instant(tz, w.year, w.month, w.day + 1, 0, 0);
    else if (!s.hour.has(w.hour)) next = instant(tz, w.year, w.month, w.day, w.hour + 1, 0);
    else if (!s.minute.has(w.minute)) next = t + 60_000;
    else return t;
    // A DST gap can map a wall time back before t: always move forward.
    t = next > t ? next : t + 60_000;
  }
  return undefined;
}

/** The zone the controller evaluates schedules in when spec.timeZone is unset: its own. */
export const localTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
