/** Weather locations: normalisation (the key of a location), provider queries, WMO texts, Open-Meteo waits. */
import test from 'ava';
import { normaliseLocation, locationKey } from '../../crawler/connectors/weather/index.ts';
import { geocodingTerms, openMeteoWaitMs } from '../../crawler/connectors/weather/open-meteo.ts';
import { weatherApiQuery } from '../../crawler/connectors/weather/weatherapi.ts';
import { wmoConditionText } from '../../crawler/connectors/weather/wmo.ts';

test('postal codes are normalised per country, so spellings of one code are one location', (t) => {
  const same = (inputs: [string, string][], expected: { country: string; postalCode: string }) => {
    for (const [c, p] of inputs) t.deepEqual(normaliseLocation(c, p), expected, `${c} ${p}`);
  };
  same([['NL', '1012AB'], ['nl', '1012ab'], ['NL', ' 1012  ab '], ['NL', 'NL-1012 AB']], { country: 'NL', postalCode: '1012 AB' });
  same([['BE', '1000'], ['be', 'B-1000']], { country: 'BE', postalCode: '1000' });
  same([['DE', '10115'], ['DE', 'D-10115']], { country: 'DE', postalCode: '10115' });
  same([['GB', 'sw1a1aa'], ['UK', 'SW1A 1AA'], ['gb', 'sw1a  1aa']], { country: 'GB', postalCode: 'SW1A 1AA' });
  same([['US', '10001'], ['us', '10001-1234']], { country: 'US', postalCode: '10001' });
  same([['FR', '75001']], { country: 'FR', postalCode: '75001' });
  t.is(locationKey({ country: 'nl', postalCode: '1012ab' }), 'NL 1012 AB');
});

test('what is not a known shape is only upper-cased and space-collapsed', (t) => {
  t.deepEqual(normaliseLocation('NL', '10 12'), { country: 'NL', postalCode: '10 12' });
  t.deepEqual(normaliseLocation('ca', 'k1a 0b1'), { country: 'CA', postalCode: 'K1A 0B1' });
});

test('weatherapi is asked "<postal code> <city>, <country name>", or without the city', (t) => {
  t.is(weatherApiQuery({ country: 'nl', postalCode: '1012ab', city: ' Amsterdam ' }), '1012 AB Amsterdam, Netherlands');
  t.is(weatherApiQuery({ country: 'DE', postalCode: '10115' }), '10115, Germany');
  t.is(weatherApiQuery({ country: 'GB', postalCode: 'sw1a1aa', city: null }), 'SW1A 1AA, United Kingdom');
});

test('Open-Meteo geocoding is asked for the area part of the postal code, then the city', (t) => {
  t.deepEqual(geocodingTerms({ country: 'NL', postalCode: '1012ab', city: 'Amsterdam' }), ['1012', 'Amsterdam']);
  t.deepEqual(geocodingTerms({ country: 'GB', postalCode: 'SW1A 1AA' }), ['SW1A']);
  t.deepEqual(geocodingTerms({ country: 'DE', postalCode: '10115', city: '' }), ['10115']);
});

test('WMO codes become condition texts', (t) => {
  t.is(wmoConditionText(0), 'Clear sky');
  t.is(wmoConditionText(63), 'Moderate rain');
  t.is(wmoConditionText(95), 'Thunderstorm');
  t.is(wmoConditionText(42), 'Weather code 42');
});

test('an Open-Meteo 429 waits for the end of the minute, hour or day its reason names', (t) => {
  const now = Date.UTC(2024, 2, 1, 10, 20, 30);
  t.is(openMeteoWaitMs('Minutely API request limit exceeded. Please try again in one minute.', now), 30_000);
  t.is(openMeteoWaitMs('Hourly API request limit exceeded. Please try again in the next hour.', now), 39 * 60_000 + 30_000);
  t.is(openMeteoWaitMs('Daily API request limit exceeded. Please try again tomorrow.', now), Date.UTC(2024, 2, 2) - now);
});
