/**
 * weatherapi.com's `GET /v1/current.json?key=&q=&aqi=no` (contract weather.md): its answer shape,
 * its error codes (1002/2006 key, 1003 no q, 1006 unknown place, 2007 monthly quota, 2008
 * disabled key) and how it reads `q`: "lat,lon", "<postal code> <city>, <country>",
 * "<postal code>, <country>", a city name, a US ZIP or a UK postcode.
 */
import { jsonReply, type Reply } from '../http.ts';
import { COUNTRY_NAMES, countryByName, nearestTown, placeOfPostalCode, round, townsNamed, type CountryCode, type Place } from './places.ts';
import { simulatedWeather, weatherApiCondition, compass } from './weather.ts';
import { localWall } from './zones.ts';

export function weatherApiError(status: number, code: number, message: string): Reply {
  return jsonReply(status, { error: { code, message } });
}

const POSTAL_AT_START: Readonly<Record<CountryCode, RegExp>> = {
  NL: /^(\d{4}\s?[A-Z]{2}|\d{4})(?=\s|$)\s*(.*)$/i,
  BE: /^(\d{4})(?=\s|$)\s*(.*)$/,
  DE: /^(\d{5})(?=\s|$)\s*(.*)$/,
  FR: /^(\d{5})(?=\s|$)\s*(.*)$/,
  US: /^(\d{5}(?:-\d{4})?)(?=\s|$)\s*(.*)$/,
  GB: /^([A-Z]{1,2}\d[A-Z\d]?(?:\s?\d[A-Z]{2})?)(?=\s|$)\s*(.*)$/i,
};

export interface ResolvedQuery {
  place: Place;
  lat: number;
  lon: number;
}

/** What weatherapi would make of `q`; null → 1006 "No matching location found." */
export function resolveQuery(q: string): ResolvedQuery | null {
  const text = q.trim().replace(/\s+/g, ' ');
  const coords = /^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(text);
  if (coords) {
    const lat = Number(coords[1]);
    const lon = Number(coords[2]);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return { place: nearestTown(lat, lon), lat, lon };
  }
  const comma = text.lastIndexOf(',');
  const head = comma >= 0 ? text.slice(0, comma).trim() : text;
  const country = comma >= 0 ? countryByName(text.slice(comma + 1)) : null;
  if (country) return inCountry(country, head);
  if (comma >= 0) return null;
  // No country: a US ZIP, a UK postcode, or a town name anywhere.
  if (/^\d{5}(-\d{4})?$/.test(text)) return inCountry('US', text);
  const uk = POSTAL_AT_START.GB.exec(text);
  if (uk && uk[2] === '' && /\d[A-Z]{2}$/i.test(uk[1]!)) return inCountry('GB', text);
  const town = townsNamed(text)[0];
  return town ? { place: town, lat: town.lat, lon: town.lon } : null;
}

function inCountry(country: CountryCode, head: string): ResolvedQuery | null {
  const m = POSTAL_AT_START[country].exec(head);
  if (m) {
    const place = placeOfPostalCode(country, m[1]!);
    return place ? { place, lat: place.lat, lon: place.lon } : null;
  }
  const town = townsNamed(head, country)[0];
  return town ? { place: town, lat: town.lat, lon: town.lon } : null;
}

function localText(tz: string, ms: number, padHour: boolean): string {
  const d = localWall(tz, ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const hour = padHour ? p(d.getUTCHours()) : String(d.getUTCHours());
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${hour}:${p(d.getUTCMinutes())}`;
}

/** The 200 answer for a resolved place at `nowMs`. */
export function currentReply(seed: number, r: ResolvedQuery, nowMs: number): Reply {
  const w = simulatedWeather(seed, r.lat, r.lon, nowMs);
  // weatherapi refreshes its "current" every 15 minutes.
  const updatedMs = Math.floor(nowMs / 900_000) * 900_000;
  const feels = round(w.tempC - w.windKph / 10, 1);
  const f = (c: number) => round((c * 9) / 5 + 32, 1);
  const mph = (k: number) => round(k / 1.609, 1);
  return jsonReply(200, {
    location: {
      name: r.place.name,
      region: r.place.region,
      country: COUNTRY_NAMES[r.place.country as CountryCode]?.name ?? r.place.country,
      lat: round(r.lat, 2),
      lon: round(r.lon, 2),
      tz_id: r.place.tz,
      localtime_epoch: Math.floor(nowMs / 1000),
      // weatherapi writes the local hour without a leading zero ("2024-03-01 9:46").
      localtime: localText(r.place.tz, nowMs, false),
    },
    current: {
      last_updated_epoch: updatedMs / 1000,
      last_updated: localText(r.place.tz, updatedMs, true),
      temp_c: w.tempC,
      temp_f: f(w.tempC),
      is_day: w.isDay ? 1 : 0,
      condition: weatherApiCondition(w.wmoCode, w.isDay),
      wind_mph: mph(w.windKph),
      wind_kph: w.windKph,
      wind_degree: w.windDegree,
      wind_dir: compass(w.windDegree),
      pressure_mb: w.pressureMb,
      pressure_in: round(w.pressureMb * 0.02953, 2),
      precip_mm: w.precipMm,
      precip_in: round(w.precipMm / 25.4, 2),
      humidity: w.humidity,
      cloud: w.cloud,
      feelslike_c: feels,
      feelslike_f: f(feels),
      vis_km: w.wmoCode === 45 || w.wmoCode === 48 ? 0.5 : 10,
      vis_miles: w.wmoCode === 45 || w.wmoCode === 48 ? 0 : 6,
      uv: w.isDay ? round(Math.max(0, 6 - w.cloud / 20), 1) : 0,
      gust_mph: mph(w.windKph * 1.4),
      gust_kph: round(w.windKph * 1.4, 1),
    },
  });
}
