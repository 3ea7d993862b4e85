import type { WeatherLocation } from './location.ts';

export type { WeatherLocation } from './location.ts';

/** The current weather at a location, as one provider reported it. */
export interface WeatherObservation {
  tempC: number;
  /** Relative humidity in %, and wind speed in km/h; null when the provider gave none. */
  humidityPct: number | null;
  windKph: number | null;
  /** The provider's condition text, in full (weatherapi's can be longer than 30 characters). */
  condition: string;
  /** Epoch ms of the provider's observation (not of our fetch). */
  observedAt: number;
  provider: 'weatherapi' | 'open-meteo';
}

export interface WeatherClient {
  /** null: the provider does not know the location. */
  current(location: WeatherLocation): Promise<WeatherObservation | null>;
}
