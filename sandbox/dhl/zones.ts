/**
 * Local times for the countries the DHL simulator ships through, so it can write timestamps
 * without an offset the way DHL does ("local time of the event's location", contract
 * dhl-tracking.md). Every country here follows the EU summer-time rule (sandbox/time.ts); a
 * country not listed (or no country) gets UTC, which is what a client must assume then too.
 */
import { amsterdamOffsetMinutes } from '../time.ts';

/** Minutes east of UTC in winter. */
const STANDARD_OFFSET_MINUTES: Readonly<Record<string, number>> = {
  GB: 0, IE: 0, PT: 0,
  NL: 60, BE: 60, LU: 60, DE: 60, FR: 60, AT: 60, CH: 60, IT: 60, ES: 60, PL: 60, CZ: 60, DK: 60, SE: 60, NO: 60,
  FI: 120, GR: 120, EE: 120, LV: 120, LT: 120, RO: 120, BG: 120,
};

/** Minutes east of UTC at `ms` in `countryCode`, or null when the simulator does not know its zone. */
export function offsetMinutes(countryCode: string | undefined, ms: number): number | null {
  const standard = countryCode ? STANDARD_OFFSET_MINUTES[countryCode.toUpperCase()] : undefined;
  if (standard === undefined) return null;
  // amsterdamOffsetMinutes is 60 in winter and 120 in summer: the EU rule's extra hour.
  return standard + (amsterdamOffsetMinutes(ms) - 60);
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/**
 * How a timestamp's offset is written: `none` (local time of the event's location), `full`
 * (`+01:00`) or `short` (`+1:00`, a one-digit hour, as DHL's 1.5.8 document's own note writes
 * `2017-06-21T14:07:17+2:00`).
 */
export type DhlOffsetStyle = 'none' | 'full' | 'short';

/**
 * "2024-03-01T10:15:00+01:00" (`full`), "2024-03-01T10:15:00+1:00" (`short`) or
 * "2024-03-01T10:15:00" (`none`): wall-clock time of `countryCode` (UTC when its zone is unknown,
 * written with "Z" when an offset is wanted).
 */
export function formatDhlTimestamp(ms: number, countryCode: string | undefined, style: DhlOffsetStyle): string {
  const offset = offsetMinutes(countryCode, ms);
  const local = new Date(Math.floor(ms / 1000) * 1000 + (offset ?? 0) * 60_000);
  const wall = local.toISOString().slice(0, 19);
  if (style === 'none') return wall;
  if (offset === null) return `${wall}Z`;
  const hours = Math.trunc(Math.abs(offset) / 60);
  return `${wall}${offset < 0 ? '-' : '+'}${style === 'short' ? String(hours) : pad(hours)}:${pad(Math.abs(offset) % 60)}`;
}
