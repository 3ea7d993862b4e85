/**
 * Open-Meteo's forecast (`GET /v1/forecast`, current conditions, comma lists of points → an
 * array) and geocoding (`GET /v1/search`, postal codes included) APIs (contract weather.md).
 * Errors are `{"error":true,"reason":"…"}`: 400 for bad parameters, 429 over the limits.
 */
import { jsonReply, type Reply } from '../http.ts';
import { hash32 } from '../prng.ts';
import { COUNTRY_NAMES, nearestTown, placeOfPostalCode, round, townsNamed, type CountryCode, type Place } from './places.ts';
import { simulatedWeather } from './weather.ts';
import { knownZone, localWall, zoneAbbreviation, zoneOffsetMinutes } from './zones.ts';

export function openMeteoError(status: number, reason: string): Reply {
  return jsonReply(status, { error: true, reason });
}

const UNITS: Readonly<Record<string, string>> = {
  temperature_2m: '°C', relative_humidity_2m: '%', apparent_temperature: '°C', is_day: '', precipitation: 'mm', rain: 'mm',
  weather_code: 'wmo code', cloud_cover: '%', wind_speed_10m: 'km/h', wind_direction_10m: '°', surface_pressure: 'hPa',
};

export interface ParsedForecast {
  points: { lat: number; lon: number }[];
  current: string[];
  timezone: string;
}

/** The request's points and variables, or a 400 reason. */
export function parseForecast(params: URLSearchParams): ParsedForecast | { reason: string } {
  const lats = (params.get('latitude') ?? '').split(',').filter((s) => s.trim() !== '');
  const lons = (params.get('longitude') ?? '').split(',').filter((s) => s.trim() !== '');
  if (lats.length === 0 || lons.length === 0) return { reason: "Parameter 'latitude' and 'longitude' are required" };
  if (lats.length !== lons.length) return { reason: "Parameter 'latitude' and 'longitude' must have the same number of elements" };
  const points: { lat: number; lon: number }[] = [];
  for (let i = 0; i < lats.length; i++) {
    const lat = Number(lats[i]);
    const lon = Number(lons[i]);
    if (!Number.isFinite(lat) || lat < -90 || lat > 90) return { reason: `Latitude must be in range of -90 to 90°. Given: ${lats[i]}.` };
    if (!Number.isFinite(lon) || lon < -180 || lon > 180) return { reason: `Longitude must be in range of -180 to 180°. Given: ${lons[i]}.` };
    points.push({ lat, lon });
  }
  const current = (params.get('current') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = current.find((v) => !(v in UNITS));
  if (unknown) return { reason: `Cannot initialize ForecastVariable from invalid String value ${unknown} for key current` };
  const timezone = params.get('timezone') ?? 'GMT';
  if (timezone !== 'auto' && !knownZone(timezone)) return { reason: `Invalid timezone ${timezone}` };
  return { points, current, timezone };
}

function pointAnswer(seed: number, p: { lat: number; lon: number }, current: string[], timezone: string, nowMs: number): Record<string, unknown> {
  const town = nearestTown(p.lat, p.lon);
  const tz = timezone === 'auto' ? town.tz : timezone;
  const w = simulatedWeather(seed, p.lat, p.lon, nowMs);
  // Open-Meteo's "current" is the latest 15-minute step, in local time of the requested zone.
  const stepMs = Math.floor(nowMs / 900_000) * 900_000;
  const values: Record<string, number> = {
    temperature_2m: w.tempC, relative_humidity_2m: w.humidity, apparent_temperature: round(w.tempC - w.windKph / 10, 1),
    is_day: w.isDay ? 1 : 0, precipitation: w.precipMm, rain: w.wmoCode >= 51 && w.wmoCode < 70 ? w.precipMm : 0,
    weather_code: w.wmoCode, cloud_cover: w.cloud, wind_speed_10m: w.windKph, wind_direction_10m: w.windDegree, surface_pressure: w.pressureMb,
  };
  const out: Record<string, unknown> = {
    latitude: round(p.lat, 3),
    longitude: round(p.lon, 3),
    generationtime_ms: 0.05,
    utc_offset_seconds: zoneOffsetMinutes(tz, nowMs) * 60,
    timezone: tz,
    timezone_abbreviation: zoneAbbreviation(tz, nowMs),
    elevation: 5 + (hash32(`${round(p.lat, 2)},${round(p.lon, 2)}`) % 300),
  };
  if (current.length > 0) {
    out.current_units = { time: 'iso8601', interval: 'seconds', ...Object.fromEntries(current.map((v) => [v, UNITS[v]])) };
    out.current = {
      time: localWall(tz, stepMs).toISOString().slice(0, 16),
      interval: 900,
      ...Object.fromEntries(current.map((v) => [v, values[v]])),
    };
  }
  return out;
}

export function forecastReply(seed: number, f: ParsedForecast, nowMs: number): Reply {
  const answers = f.points.map((p) => pointAnswer(seed, p, f.current, f.timezone, nowMs));
  return jsonReply(200, answers.length === 1 ? answers[0] : answers);
}

function geocodingResult(place: Place, lat: number, lon: number, postcodes: string[]): Record<string, unknown> {
  const country = place.country as CountryCode;
  return {
    id: hash32(`${place.country} ${place.name} ${postcodes.join(',')}`) % 10_000_000,
    name: place.name,
    latitude: lat,
    longitude: lon,
    elevation: 5 + (hash32(place.name) % 300),
    feature_code: 'PPL',
    country_code: place.country,
    admin1: place.region,
    timezone: place.tz,
    ...(postcodes.length > 0 ? { postcodes } : {}),
    country: COUNTRY_NAMES[country].name,
  };
}

const SEARCH_ORDER: readonly CountryCode[] = ['NL', 'BE', 'DE', 'FR', 'GB', 'US'];

/**
 * Geocoding search: a postal code of the country (or of any known country without
 * `countryCode`), else a town by name. Like Open-Meteo, no match answers without `results`.
 */
export function searchReply(params: URLSearchParams): Reply {
  const name = (params.get('name') ?? '').trim().replace(/\s+/g, ' ');
  const countRaw = Number(params.get('count') ?? '10');
  if (!Number.isInteger(countRaw) || countRaw < 1 || countRaw > 100) return openMeteoError(400, 'Parameter count must be between 1 and 100.');
  const countryParam = params.get('countryCode')?.trim().toUpperCase();
  const countries = countryParam ? SEARCH_ORDER.filter((c) => c === countryParam) : SEARCH_ORDER;
  const results: Record<string, unknown>[] = [];
  if (name.length >= 2) {
    for (const c of countries) {
      const place = placeOfPostalCode(c, name);
      if (place) results.push(geocodingResult(place, place.lat, place.lon, [place.postalCode]));
    }
    if (results.length === 0) {
      for (const c of countries) for (const town of townsNamed(name, c)) results.push(geocodingResult(town, town.lat, town.lon, []));
    }
  }
  const body = results.length > 0 ? { results: results.slice(0, countRaw), generationtime_ms: 0.4 } : { generationtime_ms: 0.4 };
  return jsonReply(200, body);
}
