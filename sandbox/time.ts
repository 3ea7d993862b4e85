/**
 * Date formatting for Dutch/Belgian services. bol writes date-times as ISO 8601 with the local
 * Europe/Amsterdam offset, e.g. "2018-04-17T10:55:37+02:00" (contract §2, ReducedShipment), so the
 * simulators need the CET/CEST offset. The EU rule is computed here rather than through Intl so
 * output cannot depend on the ICU data of the machine.
 */

const HOUR_MS = 3_600_000;

/** 01:00 UTC on the last Sunday of the month: when EU summer time starts (March) or ends (October). */
function lastSundayAt1Utc(year: number, monthIndex: number): number {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0));
  const day = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, monthIndex, day, 1);
}

/** Minutes east of UTC in Europe/Amsterdam (and Brussels) at that instant: 60 or 120. */
export function amsterdamOffsetMinutes(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const summer = ms >= lastSundayAt1Utc(year, 2) && ms < lastSundayAt1Utc(year, 9);
  return summer ? 120 : 60;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** "2024-04-17T10:55:37+02:00" (seconds precision, Amsterdam local time). */
export function formatAmsterdamDateTime(ms: number): string {
  const offset = amsterdamOffsetMinutes(ms);
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${date}T${time}+${pad(offset / 60)}:00`;
}

/** "2024-04-17": the Amsterdam calendar date at that instant. */
export function formatAmsterdamDate(ms: number): string {
  return formatAmsterdamDateTime(ms).slice(0, 10);
}

/** "2023-03-16T12:53:03Z": UTC, whole seconds, as in bol's "JWT expired at …" detail (contract §1). */
export function formatUtcSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const DAY_MS = 24 * HOUR_MS;
export { HOUR_MS };
