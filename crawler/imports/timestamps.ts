import { zonedWallTimeToUtc } from '../../lib/zoned-time.ts';

export { isValidTimeZone } from '../../lib/zoned-time.ts';

/**
 * The partner feeds' timestamps (shared/data/README.md, zywa-card-status), all day-first:
 * `12-11-2023 3:45 AM`, `13-11-2023 14:00`, `14-11-2023 12:00PM` (local time of the partner, in
 * the feed's IANA zone) and `2023-11-13T09:34:56Z` (ISO 8601, carries its own zone). Also taken:
 * `/` or `.` between the date parts, seconds, and ISO dates without a zone (read in the feed's zone).
 */
const DAY_FIRST = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

export type ParsedTimestamp = { ok: true; ms: number } | { ok: false; reason: string };

export function parseFeedTimestamp(text: string, timeZone: string): ParsedTimestamp {
  const value = text.trim();
  if (value === '') return { ok: false, reason: 'timestamp is missing' };
  if (ISO_ZONED.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? { ok: true, ms } : bad(value);
  }
  let parts: [number, number, number, number, number, number] | null = null;
  const dayFirst = DAY_FIRST.exec(value);
  if (dayFirst) {
    const [, d, mo, y, h, mi, s, meridiem] = dayFirst;
    let hour = Number(h);
    if (meridiem) {
      if (hour < 1 || hour > 12) return bad(value);
      const pm = meridiem[0]!.toLowerCase() === 'p';
      hour = (hour % 12) + (pm ? 12 : 0);
    }
    parts = [Number(y), Number(mo), Number(d), hour, Number(mi), Number(s ?? 0)];
  } else {
    const iso = ISO_LOCAL.exec(value);
    if (iso) parts = [Number(iso[1]), Number(iso[2]), Number(iso[3]), Number(iso[4]), Number(iso[5]), Number(iso[6] ?? 0)];
  }
  if (!parts) return bad(value);
  const [y, mo, d, h, mi, s] = parts;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  // Date.UTC rolls 31-11 over to 1-12; a real date comes back unchanged.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return bad(value);
  return { ok: true, ms: zonedWallTimeToUtc(wall, timeZone) };
}

function bad(value: string): ParsedTimestamp {
  return {
    ok: false,
    reason: `timestamp "${value.slice(0, 40)}" is not a date this feed uses (day first: 13-11-2023 14:00, 12-11-2023 3:45 AM, or ISO 8601 such as 2023-11-13T09:34:56Z)`,
  };
}
