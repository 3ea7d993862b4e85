/**
 * Wall-clock times of IANA time zones, through Intl (no zone database of our own): the offset a
 * zone has at an instant, and the instant at which a zone's clocks show a given wall time.
 * A wall time is written as epoch ms "as if UTC" (`Date.UTC(y, m, d, h, mi, s)`).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time zone this runtime knows (`Asia/Dubai`, `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatterOf(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Dubai: +4 h). */
export function zoneOffsetMs(zone: string, ms: number): number {
  const parts = Object.fromEntries(formatterOf(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which clocks in `zone` showed `wallMs`. Two passes, so a wall time just after a
 * DST change gets the offset in force then; one that does not exist (the spring-forward hour)
 * lands an hour off, one that exists twice resolves to one of its two occurrences.
 */
export function zonedWallTimeToUtc(wallMs: number, zone: string): number {
  const first = wallMs - zoneOffsetMs(zone, wallMs);
  return wallMs - zoneOffsetMs(zone, first);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The last millisecond of calendar day `date` (`YYYY-MM-DD`) in `zone`: what "by this date" means
 * for a promise that names a day and no time. null when `date` is not a real date.
 */
export function endOfDayInZone(date: string, zone: string): number | null {
  // A synced page names the same few days over and over; Intl's formatting is the costly part.
  const key = `${zone} ${date}`;
  const known = endsOfDay.get(key);
  if (known !== undefined) return known;
  const end = computeEndOfDay(date, zone);
  if (endsOfDay.size >= END_OF_DAY_MEMO) endsOfDay.clear();
  endsOfDay.set(key, end);
  return end;
}

const endsOfDay = new Map<string, number | null>();
const END_OF_DAY_MEMO = 4_096;

function computeEndOfDay(date: string, zone: string): number | null {
  const m = DATE_ONLY.exec(date.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return zonedWallTimeToUtc(Date.UTC(y, mo - 1, d + 1), zone) - 1;
}
