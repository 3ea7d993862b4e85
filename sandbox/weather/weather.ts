/**
 * The simulated weather: a pure function of (point, hour), so every call in one hour at one
 * place answers the same, both providers agree, and a test can compute what it should see.
 * The point is rounded to 0.1° (about a town); the hour is the UTC hour of the sandbox clock.
 */
import { SeededRandom } from '../prng.ts';
import { HOUR_MS } from '../time.ts';
import { hash32 } from '../prng.ts';
import { nearestTown, round } from './places.ts';
import { localWall } from './zones.ts';

export interface SimulatedWeather {
  tempC: number;
  /** WMO weather code, as Open-Meteo sends it. */
  wmoCode: number;
  humidity: number;
  windKph: number;
  windDegree: number;
  cloud: number;
  precipMm: number;
  pressureMb: number;
  isDay: boolean;
  /** Start of the hour the weather belongs to (epoch ms). */
  hourStartMs: number;
}

const CODES: readonly (readonly [number, number])[] = [
  [0, 18], [1, 14], [2, 14], [3, 18], [45, 4], [51, 4], [53, 2], [61, 8], [63, 5], [65, 2], [80, 4], [81, 3], [95, 2], [96, 1], [99, 1],
];
const SNOW: Readonly<Record<number, number>> = { 51: 71, 53: 71, 61: 71, 63: 73, 65: 75, 80: 85, 81: 86 };

/** The weather at a point in the hour of `nowMs`; local time (day, night, warmth) is that of the nearest known town. */
export function simulatedWeather(seed: number, lat: number, lon: number, nowMs: number): SimulatedWeather {
  const tz = nearestTown(lat, lon).tz;
  const hourStartMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const rng = new SeededRandom(hash32(`${seed}|${round(lat, 1).toFixed(1)}|${round(lon, 1).toFixed(1)}|${hourStartMs}`));
  const local = localWall(tz, hourStartMs);
  const dayOfYear = Math.floor((local.getTime() - Date.UTC(local.getUTCFullYear(), 0, 1)) / 86_400_000);
  const season = -Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365);
  const hour = local.getUTCHours();
  const base = 11 + 9 * season - 0.55 * (lat - 50);
  const daily = 4 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
  const tempC = round(base + daily + rng.float() * 4 - 2, 1);
  let wmoCode = rng.weighted(CODES);
  if (tempC <= 1 && SNOW[wmoCode] !== undefined) wmoCode = SNOW[wmoCode]!;
  const wet = wmoCode >= 51;
  return {
    tempC,
    wmoCode,
    humidity: rng.int(wet ? 75 : 40, wet ? 99 : 85),
    windKph: round(rng.float() * 35, 1),
    windDegree: rng.int(0, 359),
    cloud: wmoCode === 0 ? rng.int(0, 10) : wmoCode <= 2 ? rng.int(15, 60) : rng.int(70, 100),
    precipMm: wet ? round(rng.float() * 3, 1) : 0,
    pressureMb: rng.int(995, 1030),
    isDay: hour >= 7 && hour < 20,
    hourStartMs,
  };
}

/** weatherapi.com's condition code and texts (day / night) for a WMO code. */
const WEATHERAPI_CONDITIONS: Readonly<Record<number, readonly [code: number, day: string, night: string]>> = {
  0: [1000, 'Sunny', 'Clear'],
  1: [1003, 'Partly cloudy', 'Partly cloudy'],
  2: [1003, 'Partly cloudy', 'Partly cloudy'],
  3: [1009, 'Overcast', 'Overcast'],
  45: [1135, 'Fog', 'Fog'],
  48: [1147, 'Freezing fog', 'Freezing fog'],
  51: [1150, 'Patchy light drizzle', 'Patchy light drizzle'],
  53: [1153, 'Light drizzle', 'Light drizzle'],
  61: [1183, 'Light rain', 'Light rain'],
  63: [1189, 'Moderate rain', 'Moderate rain'],
  65: [1195, 'Heavy rain', 'Heavy rain'],
  71: [1213, 'Light snow', 'Light snow'],
  73: [1219, 'Moderate snow', 'Moderate snow'],
  75: [1225, 'Heavy snow', 'Heavy snow'],
  80: [1240, 'Light rain shower', 'Light rain shower'],
  81: [1243, 'Moderate or heavy rain shower', 'Moderate or heavy rain shower'],
  85: [1255, 'Light snow showers', 'Light snow showers'],
  86: [1258, 'Moderate or heavy snow showers', 'Moderate or heavy snow showers'],
  95: [1273, 'Patchy light rain with thunder', 'Patchy light rain with thunder'],
  96: [1276, 'Moderate or heavy rain with thunder', 'Moderate or heavy rain with thunder'],
  99: [1282, 'Moderate or heavy snow with thunder', 'Moderate or heavy snow with thunder'],
};

export function weatherApiCondition(wmoCode: number, isDay: boolean): { text: string; code: number; icon: string } {
  const [code, day, night] = WEATHERAPI_CONDITIONS[wmoCode] ?? [1009, 'Overcast', 'Overcast'];
  const iconId = 113 + ((code - 1000) % 300);
  return { text: isDay ? day : night, code, icon: `//cdn.weatherapi.com/weather/64x64/${isDay ? 'day' : 'night'}/${iconId}.png` };
}

const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'] as const;

export function compass(degree: number): string {
  return COMPASS[Math.round(degree / 22.5) % 16]!;
}
