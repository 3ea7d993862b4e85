/**
 * UTC offsets of the zones the weather simulator's places use, computed by rule (EU and US
 * summer time) rather than through Intl, so answers cannot depend on the machine's ICU data.
 */
import { amsterdamOffsetMinutes, HOUR_MS } from '../time.ts';

interface Zone {
  standardMinutes: number;
  rule: 'eu' | 'us' | 'none';
  abbreviations: readonly [standard: string, summer: string];
}

const ZONES: Readonly<Record<string, Zone>> = {
  'Europe/Amsterdam': { standardMinutes: 60, rule: 'eu', abbreviations: ['CET', 'CEST'] },
  'Europe/Brussels': { standardMinutes: 60, rule: 'eu', abbreviations: ['CET', 'CEST'] },
  'Europe/Berlin': { standardMinutes: 60, rule: 'eu', abbreviations: ['CET', 'CEST'] },
  'Europe/Paris': { standardMinutes: 60, rule: 'eu', abbreviations: ['CET', 'CEST'] },
  'Europe/London': { standardMinutes: 0, rule: 'eu', abbreviations: ['GMT', 'BST'] },
  'America/New_York': { standardMinutes: -300, rule: 'us', abbreviations: ['EST', 'EDT'] },
  'America/Chicago': { standardMinutes: -360, rule: 'us', abbreviations: ['CST', 'CDT'] },
  'America/Denver': { standardMinutes: -420, rule: 'us', abbreviations: ['MST', 'MDT'] },
  'America/Phoenix': { standardMinutes: -420, rule: 'none', abbreviations: ['MST', 'MST'] },
  'America/Los_Angeles': { standardMinutes: -480, rule: 'us', abbreviations: ['PST', 'PDT'] },
  'America/Anchorage': { standardMinutes: -540, rule: 'us', abbreviations: ['AKST', 'AKDT'] },
  GMT: { standardMinutes: 0, rule: 'none', abbreviations: ['GMT', 'GMT'] },
  UTC: { standardMinutes: 0, rule: 'none', abbreviations: ['UTC', 'UTC'] },
};

export function knownZone(id: string): boolean {
  return id in ZONES;
}

/** n-th Sunday (1-based) of a month, as a UTC day start. */
function nthSunday(year: number, monthIndex: number, n: number): number {
  const first = new Date(Date.UTC(year, monthIndex, 1));
  const day = 1 + ((7 - first.getUTCDay()) % 7) + (n - 1) * 7;
  return Date.UTC(year, monthIndex, day);
}

/** US: from the second Sunday of March, 02:00 local standard time, to the first Sunday of November, 02:00 local summer time. */
function usSummer(ms: number, standardMinutes: number): boolean {
  const year = new Date(ms).getUTCFullYear();
  const start = nthSunday(year, 2, 2) + 2 * HOUR_MS - standardMinutes * 60_000;
  const end = nthSunday(year, 10, 1) + 2 * HOUR_MS - (standardMinutes + 60) * 60_000;
  return ms >= start && ms < end;
}

function summer(zone: Zone, ms: number): boolean {
  if (zone.rule === 'eu') return amsterdamOffsetMinutes(ms) === 120;
  if (zone.rule === 'us') return usSummer(ms, zone.standardMinutes);
  return false;
}

/** Minutes east of UTC in zone `id` at `ms` (0 for an unknown id). */
export function zoneOffsetMinutes(id: string, ms: number): number {
  const zone = ZONES[id];
  if (!zone) return 0;
  return zone.standardMinutes + (summer(zone, ms) ? 60 : 0);
}

export function zoneAbbreviation(id: string, ms: number): string {
  const zone = ZONES[id];
  if (!zone) return 'GMT';
  return zone.abbreviations[summer(zone, ms) ? 1 : 0];
}

/** Local wall time of `ms` in zone `id`, as a Date whose UTC fields are the local ones. */
export function localWall(id: string, ms: number): Date {
  return new Date(ms + zoneOffsetMinutes(id, ms) * 60_000);
}
