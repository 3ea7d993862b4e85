/**
 * Postal-code areas the weather simulator knows, coarse but real: every NL (4 digits + letters)
 * and BE (4 digits) code falls in an area, DE (5 digits) by its two-digit Leitregion, FR by
 * département, GB by postcode area, US by ZIP prefix. An area is a town with its coordinates;
 * each postal code gets a point near it (a stable offset), so two codes of one town are two
 * points but one code is always the same point for both providers. Anything else is unknown
 * (weatherapi 1006, empty geocoding results).
 */
import { hash32 } from '../prng.ts';

export type CountryCode = 'NL' | 'BE' | 'DE' | 'FR' | 'GB' | 'US';

export interface Place {
  name: string;
  region: string;
  country: CountryCode;
  lat: number;
  lon: number;
  /** IANA zone id (one of ZONES in zones.ts). */
  tz: string;
}

/** A resolved postal code: the area's town, the code's own point, and the code as written for geocoding. */
export interface PostalPlace extends Place {
  postalCode: string;
}

export const COUNTRY_NAMES: Readonly<Record<CountryCode, { name: string; aliases: readonly string[] }>> = {
  NL: { name: 'Netherlands', aliases: ['netherlands', 'the netherlands', 'nederland', 'holland'] },
  BE: { name: 'Belgium', aliases: ['belgium', 'belgie', 'belgië', 'belgique'] },
  DE: { name: 'Germany', aliases: ['germany', 'deutschland'] },
  FR: { name: 'France', aliases: ['france'] },
  GB: { name: 'United Kingdom', aliases: ['united kingdom', 'uk', 'great britain', 'england', 'scotland', 'wales'] },
  US: { name: 'United States of America', aliases: ['united states', 'united states of america', 'usa', 'us'] },
};

export function countryByName(name: string): CountryCode | null {
  const n = name.trim().toLowerCase().replace(/\s+/g, ' ');
  for (const [code, entry] of Object.entries(COUNTRY_NAMES) as [CountryCode, (typeof COUNTRY_NAMES)[CountryCode]][]) {
    if (entry.aliases.includes(n) || code.toLowerCase() === n) return code;
  }
  return null;
}

type Row = readonly [from: number, name: string, region: string, lat: number, lon: number];

/** NL: an area runs from its first 4-digit code to the next row's. */
const NL: readonly Row[] = [
  [1000, 'Amsterdam', 'Noord-Holland', 52.37, 4.9], [1110, 'Amstelveen', 'Noord-Holland', 52.3, 4.86], [1200, 'Hilversum', 'Noord-Holland', 52.22, 5.17],
  [1300, 'Almere', 'Flevoland', 52.37, 5.22], [1400, 'Purmerend', 'Noord-Holland', 52.5, 4.95], [1500, 'Zaandam', 'Noord-Holland', 52.44, 4.83],
  [1600, 'Hoorn', 'Noord-Holland', 52.64, 5.06], [1700, 'Heerhugowaard', 'Noord-Holland', 52.67, 4.84], [1800, 'Alkmaar', 'Noord-Holland', 52.63, 4.75],
  [1900, 'Beverwijk', 'Noord-Holland', 52.48, 4.66], [2000, 'Haarlem', 'Noord-Holland', 52.38, 4.64], [2100, 'Hoofddorp', 'Noord-Holland', 52.3, 4.69],
  [2200, 'Noordwijk', 'Zuid-Holland', 52.24, 4.45], [2300, 'Leiden', 'Zuid-Holland', 52.16, 4.49], [2400, 'Alphen aan den Rijn', 'Zuid-Holland', 52.13, 4.66],
  [2490, "'s-Gravenhage", 'Zuid-Holland', 52.08, 4.3], [2600, 'Delft', 'Zuid-Holland', 52.01, 4.36], [2700, 'Zoetermeer', 'Zuid-Holland', 52.06, 4.49],
  [2800, 'Gouda', 'Zuid-Holland', 52.01, 4.71], [2900, 'Capelle aan den IJssel', 'Zuid-Holland', 51.93, 4.58], [3000, 'Rotterdam', 'Zuid-Holland', 51.92, 4.48],
  [3100, 'Schiedam', 'Zuid-Holland', 51.92, 4.4], [3200, 'Spijkenisse', 'Zuid-Holland', 51.85, 4.33], [3300, 'Dordrecht', 'Zuid-Holland', 51.81, 4.67],
  [3400, 'Nieuwegein', 'Utrecht', 52.03, 5.08], [3500, 'Utrecht', 'Utrecht', 52.09, 5.12], [3600, 'Maarssen', 'Utrecht', 52.14, 5.04],
  [3700, 'Zeist', 'Utrecht', 52.09, 5.23], [3800, 'Amersfoort', 'Utrecht', 52.16, 5.39], [3900, 'Veenendaal', 'Utrecht', 52.03, 5.56],
  [4000, 'Tiel', 'Gelderland', 51.89, 5.43], [4200, 'Gorinchem', 'Zuid-Holland', 51.83, 4.97], [4300, 'Middelburg', 'Zeeland', 51.5, 3.61],
  [4600, 'Bergen op Zoom', 'Noord-Brabant', 51.49, 4.29], [4700, 'Roosendaal', 'Noord-Brabant', 51.53, 4.46], [4800, 'Breda', 'Noord-Brabant', 51.59, 4.78],
  [4900, 'Oosterhout', 'Noord-Brabant', 51.64, 4.86], [5000, 'Tilburg', 'Noord-Brabant', 51.56, 5.09], [5100, 'Dongen', 'Noord-Brabant', 51.63, 4.94],
  [5200, "'s-Hertogenbosch", 'Noord-Brabant', 51.69, 5.3], [5300, 'Oss', 'Noord-Brabant', 51.77, 5.52], [5500, 'Veldhoven', 'Noord-Brabant', 51.42, 5.4],
  [5600, 'Eindhoven', 'Noord-Brabant', 51.44, 5.48], [5700, 'Helmond', 'Noord-Brabant', 51.48, 5.66], [5800, 'Venlo', 'Limburg', 51.37, 6.17],
  [6000, 'Weert', 'Limburg', 51.25, 5.71], [6100, 'Sittard', 'Limburg', 51.0, 5.87], [6200, 'Maastricht', 'Limburg', 50.85, 5.69],
  [6300, 'Heerlen', 'Limburg', 50.89, 5.98], [6500, 'Nijmegen', 'Gelderland', 51.84, 5.86], [6600, 'Wijchen', 'Gelderland', 51.81, 5.73],
  [6700, 'Ede', 'Gelderland', 52.04, 5.67], [6800, 'Arnhem', 'Gelderland', 51.98, 5.91], [6900, 'Zevenaar', 'Gelderland', 51.93, 6.07],
  [7000, 'Doetinchem', 'Gelderland', 51.97, 6.29], [7100, 'Winterswijk', 'Gelderland', 51.97, 6.72], [7200, 'Zutphen', 'Gelderland', 52.14, 6.2],
  [7300, 'Apeldoorn', 'Gelderland', 52.21, 5.97], [7400, 'Deventer', 'Overijssel', 52.25, 6.16], [7500, 'Enschede', 'Overijssel', 52.22, 6.89],
  [7600, 'Almelo', 'Overijssel', 52.36, 6.66], [7700, 'Hardenberg', 'Overijssel', 52.58, 6.62], [7800, 'Emmen', 'Drenthe', 52.79, 6.9],
  [7900, 'Hoogeveen', 'Drenthe', 52.72, 6.48], [8000, 'Zwolle', 'Overijssel', 52.52, 6.08], [8100, 'Raalte', 'Overijssel', 52.39, 6.28],
  [8200, 'Lelystad', 'Flevoland', 52.52, 5.47], [8300, 'Emmeloord', 'Flevoland', 52.71, 5.75], [8400, 'Gorredijk', 'Friesland', 53.01, 6.06],
  [8500, 'Joure', 'Friesland', 52.97, 5.79], [8600, 'Sneek', 'Friesland', 53.03, 5.66], [8700, 'Bolsward', 'Friesland', 53.06, 5.53],
  [8800, 'Franeker', 'Friesland', 53.19, 5.54], [8900, 'Leeuwarden', 'Friesland', 53.2, 5.8], [9000, 'Grou', 'Friesland', 53.09, 5.84],
  [9100, 'Dokkum', 'Friesland', 53.33, 6.0], [9200, 'Drachten', 'Friesland', 53.11, 6.1], [9300, 'Roden', 'Drenthe', 53.14, 6.43],
  [9400, 'Assen', 'Drenthe', 52.99, 6.56], [9500, 'Stadskanaal', 'Groningen', 52.99, 6.95], [9600, 'Hoogezand', 'Groningen', 53.16, 6.76],
  [9700, 'Groningen', 'Groningen', 53.22, 6.57], [9800, 'Zuidhorn', 'Groningen', 53.25, 6.4], [9900, 'Delfzijl', 'Groningen', 53.33, 6.92],
];

const BE: readonly Row[] = [
  [1000, 'Brussel', 'Brussels', 50.85, 4.35], [1300, 'Wavre', 'Walloon Brabant', 50.72, 4.61], [1500, 'Vilvoorde', 'Flemish Brabant', 50.93, 4.43],
  [2000, 'Antwerpen', 'Antwerp', 51.22, 4.4], [2200, 'Turnhout', 'Antwerp', 51.32, 4.94], [2500, 'Lier', 'Antwerp', 51.13, 4.57],
  [2800, 'Mechelen', 'Antwerp', 51.03, 4.48], [3000, 'Leuven', 'Flemish Brabant', 50.88, 4.7], [3500, 'Hasselt', 'Limburg', 50.93, 5.34],
  [4000, 'Liège', 'Liège', 50.63, 5.57], [5000, 'Namur', 'Namur', 50.47, 4.87], [6000, 'Charleroi', 'Hainaut', 50.41, 4.44],
  [6600, 'Arlon', 'Luxembourg', 49.68, 5.82], [7000, 'Mons', 'Hainaut', 50.45, 3.95], [8000, 'Brugge', 'West Flanders', 51.21, 3.22],
  [8400, 'Oostende', 'West Flanders', 51.23, 2.92], [8500, 'Kortrijk', 'West Flanders', 50.83, 3.26], [9000, 'Gent', 'East Flanders', 51.05, 3.72],
  [9100, 'Sint-Niklaas', 'East Flanders', 51.17, 4.14], [9200, 'Gent', 'East Flanders', 51.05, 3.72], [9300, 'Aalst', 'East Flanders', 50.94, 4.04],
  [9500, 'Oudenaarde', 'East Flanders', 50.85, 3.6],
];

/** DE by the first two digits (Leitregion); 00, 05, 43 and 62 are not in use. */
const DE: Readonly<Record<string, readonly [string, string, number, number]>> = {
  '01': ['Dresden', 'Saxony', 51.05, 13.74], '02': ['Görlitz', 'Saxony', 51.15, 14.99], '03': ['Cottbus', 'Brandenburg', 51.76, 14.33],
  '04': ['Leipzig', 'Saxony', 51.34, 12.37], '06': ['Halle (Saale)', 'Saxony-Anhalt', 51.48, 11.97], '07': ['Jena', 'Thuringia', 50.93, 11.59],
  '08': ['Zwickau', 'Saxony', 50.72, 12.49], '09': ['Chemnitz', 'Saxony', 50.83, 12.92], '10': ['Berlin', 'Berlin', 52.52, 13.4],
  '11': ['Berlin', 'Berlin', 52.52, 13.4], '12': ['Berlin', 'Berlin', 52.52, 13.4], '13': ['Berlin', 'Berlin', 52.52, 13.4],
  '14': ['Potsdam', 'Brandenburg', 52.39, 13.06], '15': ['Frankfurt (Oder)', 'Brandenburg', 52.34, 14.55], '16': ['Oranienburg', 'Brandenburg', 52.75, 13.24],
  '17': ['Neubrandenburg', 'Mecklenburg-Vorpommern', 53.56, 13.26], '18': ['Rostock', 'Mecklenburg-Vorpommern', 54.09, 12.14], '19': ['Schwerin', 'Mecklenburg-Vorpommern', 53.63, 11.41],
  '20': ['Hamburg', 'Hamburg', 53.55, 9.99], '21': ['Hamburg', 'Hamburg', 53.55, 9.99], '22': ['Hamburg', 'Hamburg', 53.55, 9.99],
  '23': ['Lübeck', 'Schleswig-Holstein', 53.87, 10.69], '24': ['Kiel', 'Schleswig-Holstein', 54.32, 10.14], '25': ['Itzehoe', 'Schleswig-Holstein', 53.92, 9.52],
  '26': ['Oldenburg', 'Lower Saxony', 53.14, 8.21], '27': ['Bremerhaven', 'Bremen', 53.54, 8.58], '28': ['Bremen', 'Bremen', 53.08, 8.8],
  '29': ['Celle', 'Lower Saxony', 52.62, 10.08], '30': ['Hannover', 'Lower Saxony', 52.37, 9.73], '31': ['Hildesheim', 'Lower Saxony', 52.15, 9.95],
  '32': ['Herford', 'North Rhine-Westphalia', 52.11, 8.67], '33': ['Bielefeld', 'North Rhine-Westphalia', 52.02, 8.53], '34': ['Kassel', 'Hesse', 51.31, 9.48],
  '35': ['Gießen', 'Hesse', 50.58, 8.68], '36': ['Fulda', 'Hesse', 50.55, 9.68], '37': ['Göttingen', 'Lower Saxony', 51.54, 9.93],
  '38': ['Braunschweig', 'Lower Saxony', 52.27, 10.52], '39': ['Magdeburg', 'Saxony-Anhalt', 52.12, 11.63], '40': ['Düsseldorf', 'North Rhine-Westphalia', 51.23, 6.78],
  '41': ['Mönchengladbach', 'North Rhine-Westphalia', 51.19, 6.44], '42': ['Wuppertal', 'North Rhine-Westphalia', 51.26, 7.15], '44': ['Dortmund', 'North Rhine-Westphalia', 51.51, 7.47],
  '45': ['Essen', 'North Rhine-Westphalia', 51.46, 7.01], '46': ['Oberhausen', 'North Rhine-Westphalia', 51.47, 6.85], '47': ['Duisburg', 'North Rhine-Westphalia', 51.43, 6.76],
  '48': ['Münster', 'North Rhine-Westphalia', 51.96, 7.63], '49': ['Osnabrück', 'Lower Saxony', 52.28, 8.05], '50': ['Köln', 'North Rhine-Westphalia', 50.94, 6.96],
  '51': ['Köln', 'North Rhine-Westphalia', 50.94, 6.96], '52': ['Aachen', 'North Rhine-Westphalia', 50.78, 6.08], '53': ['Bonn', 'North Rhine-Westphalia', 50.74, 7.1],
  '54': ['Trier', 'Rhineland-Palatinate', 49.75, 6.64], '55': ['Mainz', 'Rhineland-Palatinate', 50.0, 8.27], '56': ['Koblenz', 'Rhineland-Palatinate', 50.36, 7.59],
  '57': ['Siegen', 'North Rhine-Westphalia', 50.87, 8.02], '58': ['Hagen', 'North Rhine-Westphalia', 51.37, 7.46], '59': ['Hamm', 'North Rhine-Westphalia', 51.68, 7.82],
  '60': ['Frankfurt am Main', 'Hesse', 50.11, 8.68], '61': ['Bad Homburg', 'Hesse', 50.23, 8.62], '63': ['Offenbach am Main', 'Hesse', 50.1, 8.77],
  '64': ['Darmstadt', 'Hesse', 49.87, 8.65], '65': ['Wiesbaden', 'Hesse', 50.08, 8.24], '66': ['Saarbrücken', 'Saarland', 49.24, 6.99],
  '67': ['Ludwigshafen am Rhein', 'Rhineland-Palatinate', 49.48, 8.44], '68': ['Mannheim', 'Baden-Württemberg', 49.49, 8.47], '69': ['Heidelberg', 'Baden-Württemberg', 49.4, 8.69],
  '70': ['Stuttgart', 'Baden-Württemberg', 48.78, 9.18], '71': ['Böblingen', 'Baden-Württemberg', 48.68, 9.01], '72': ['Tübingen', 'Baden-Württemberg', 48.52, 9.06],
  '73': ['Esslingen am Neckar', 'Baden-Württemberg', 48.74, 9.31], '74': ['Heilbronn', 'Baden-Württemberg', 49.14, 9.22], '75': ['Pforzheim', 'Baden-Württemberg', 48.89, 8.7],
  '76': ['Karlsruhe', 'Baden-Württemberg', 49.01, 8.4], '77': ['Offenburg', 'Baden-Württemberg', 48.47, 7.94], '78': ['Villingen-Schwenningen', 'Baden-Württemberg', 48.06, 8.46],
  '79': ['Freiburg im Breisgau', 'Baden-Württemberg', 47.99, 7.84], '80': ['München', 'Bavaria', 48.14, 11.58], '81': ['München', 'Bavaria', 48.14, 11.58],
  '82': ['Starnberg', 'Bavaria', 48.0, 11.34], '83': ['Rosenheim', 'Bavaria', 47.86, 12.12], '84': ['Landshut', 'Bavaria', 48.54, 12.15],
  '85': ['Ingolstadt', 'Bavaria', 48.77, 11.43], '86': ['Augsburg', 'Bavaria', 48.37, 10.9], '87': ['Kempten', 'Bavaria', 47.73, 10.31],
  '88': ['Ravensburg', 'Baden-Württemberg', 47.78, 9.61], '89': ['Ulm', 'Baden-Württemberg', 48.4, 9.99], '90': ['Nürnberg', 'Bavaria', 49.45, 11.08],
  '91': ['Erlangen', 'Bavaria', 49.6, 11.0], '92': ['Amberg', 'Bavaria', 49.44, 11.86], '93': ['Regensburg', 'Bavaria', 49.01, 12.1],
  '94': ['Passau', 'Bavaria', 48.57, 13.43], '95': ['Bayreuth', 'Bavaria', 49.95, 11.58], '96': ['Bamberg', 'Bavaria', 49.89, 10.89],
  '97': ['Würzburg', 'Bavaria', 49.79, 9.95], '98': ['Suhl', 'Thuringia', 50.61, 10.69], '99': ['Erfurt', 'Thuringia', 50.98, 11.03],
};

/** FR by département (first two digits): the big ones only. */
const FR: Readonly<Record<string, readonly [string, string, number, number]>> = {
  '75': ['Paris', 'Île-de-France', 48.86, 2.35], '92': ['Nanterre', 'Île-de-France', 48.89, 2.21], '93': ['Saint-Denis', 'Île-de-France', 48.94, 2.36],
  '94': ['Créteil', 'Île-de-France', 48.79, 2.46], '69': ['Lyon', 'Auvergne-Rhône-Alpes', 45.76, 4.84], '13': ['Marseille', "Provence-Alpes-Côte d'Azur", 43.3, 5.37],
  '31': ['Toulouse', 'Occitanie', 43.6, 1.44], '06': ['Nice', "Provence-Alpes-Côte d'Azur", 43.7, 7.27], '44': ['Nantes', 'Pays de la Loire', 47.22, -1.55],
  '67': ['Strasbourg', 'Grand Est', 48.57, 7.75], '34': ['Montpellier', 'Occitanie', 43.61, 3.88], '33': ['Bordeaux', 'Nouvelle-Aquitaine', 44.84, -0.58],
  '59': ['Lille', 'Hauts-de-France', 50.63, 3.06], '35': ['Rennes', 'Brittany', 48.11, -1.68], '51': ['Reims', 'Grand Est', 49.26, 4.03],
  '76': ['Rouen', 'Normandy', 49.44, 1.1], '38': ['Grenoble', 'Auvergne-Rhône-Alpes', 45.19, 5.72], '21': ['Dijon', 'Bourgogne-Franche-Comté', 47.32, 5.04],
  '49': ['Angers', 'Pays de la Loire', 47.47, -0.55], '37': ['Tours', 'Centre-Val de Loire', 47.39, 0.69], '63': ['Clermont-Ferrand', 'Auvergne-Rhône-Alpes', 45.78, 3.08],
  '57': ['Metz', 'Grand Est', 49.12, 6.18], '54': ['Nancy', 'Grand Est', 48.69, 6.18], '14': ['Caen', 'Normandy', 49.18, -0.37],
  '29': ['Brest', 'Brittany', 48.39, -4.49],
};

/** GB by postcode area (the letters of the outward code). */
const GB: Readonly<Record<string, readonly [string, string, number, number]>> = Object.fromEntries([
  ...['E', 'EC', 'N', 'NW', 'SE', 'SW', 'W', 'WC'].map((a) => [a, ['London', 'City of London, Greater London', 51.51, -0.13]] as const),
  ['M', ['Manchester', 'Greater Manchester', 53.48, -2.24]], ['B', ['Birmingham', 'West Midlands', 52.49, -1.89]],
  ['L', ['Liverpool', 'Merseyside', 53.41, -2.98]], ['LS', ['Leeds', 'West Yorkshire', 53.8, -1.55]],
  ['G', ['Glasgow', 'Glasgow City', 55.86, -4.25]], ['EH', ['Edinburgh', 'City of Edinburgh', 55.95, -3.19]],
  ['BS', ['Bristol', 'Bristol', 51.45, -2.59]], ['CF', ['Cardiff', 'Cardiff', 51.48, -3.18]],
  ['NE', ['Newcastle upon Tyne', 'Tyne and Wear', 54.98, -1.61]], ['S', ['Sheffield', 'South Yorkshire', 53.38, -1.47]],
  ['NG', ['Nottingham', 'Nottinghamshire', 52.95, -1.15]], ['OX', ['Oxford', 'Oxfordshire', 51.75, -1.26]],
  ['CB', ['Cambridge', 'Cambridgeshire', 52.21, 0.12]], ['BT', ['Belfast', 'Northern Ireland', 54.6, -5.93]],
  ['BN', ['Brighton', 'East Sussex', 50.82, -0.14]], ['RG', ['Reading', 'Berkshire', 51.45, -0.97]],
  ['SO', ['Southampton', 'Hampshire', 50.9, -1.4]], ['LE', ['Leicester', 'Leicestershire', 52.64, -1.13]],
  ['CV', ['Coventry', 'West Midlands', 52.41, -1.51]],
]);

/** US by ZIP prefix (first three digits): an area runs from its prefix to the next row's. */
const US: readonly (readonly [from: number, name: string, region: string, lat: number, lon: number, tz: string])[] = [
  [0, 'Boston', 'Massachusetts', 42.36, -71.06, 'America/New_York'], [70, 'Newark', 'New Jersey', 40.74, -74.17, 'America/New_York'],
  [100, 'New York', 'New York', 40.71, -74.01, 'America/New_York'], [150, 'Philadelphia', 'Pennsylvania', 39.95, -75.17, 'America/New_York'],
  [200, 'Washington', 'District of Columbia', 38.91, -77.04, 'America/New_York'], [220, 'Richmond', 'Virginia', 37.54, -77.44, 'America/New_York'],
  [300, 'Atlanta', 'Georgia', 33.75, -84.39, 'America/New_York'], [320, 'Miami', 'Florida', 25.76, -80.19, 'America/New_York'],
  [350, 'Nashville', 'Tennessee', 36.16, -86.78, 'America/Chicago'], [400, 'Louisville', 'Kentucky', 38.25, -85.76, 'America/New_York'],
  [430, 'Columbus', 'Ohio', 39.96, -83.0, 'America/New_York'], [460, 'Indianapolis', 'Indiana', 39.77, -86.16, 'America/New_York'],
  [480, 'Detroit', 'Michigan', 42.33, -83.05, 'America/New_York'], [500, 'Minneapolis', 'Minnesota', 44.98, -93.27, 'America/Chicago'],
  [600, 'Chicago', 'Illinois', 41.88, -87.63, 'America/Chicago'], [630, 'St. Louis', 'Missouri', 38.63, -90.2, 'America/Chicago'],
  [700, 'New Orleans', 'Louisiana', 29.95, -90.07, 'America/Chicago'], [750, 'Dallas', 'Texas', 32.78, -96.8, 'America/Chicago'],
  [770, 'Houston', 'Texas', 29.76, -95.37, 'America/Chicago'], [780, 'Dallas', 'Texas', 32.78, -96.8, 'America/Chicago'],
  [800, 'Denver', 'Colorado', 39.74, -104.99, 'America/Denver'], [820, 'Salt Lake City', 'Utah', 40.76, -111.89, 'America/Denver'],
  [850, 'Phoenix', 'Arizona', 33.45, -112.07, 'America/Phoenix'], [870, 'Las Vegas', 'Nevada', 36.17, -115.14, 'America/Los_Angeles'],
  [900, 'Los Angeles', 'California', 34.05, -118.24, 'America/Los_Angeles'], [936, 'San Francisco', 'California', 37.77, -122.42, 'America/Los_Angeles'],
  [970, 'Portland', 'Oregon', 45.52, -122.68, 'America/Los_Angeles'], [980, 'Seattle', 'Washington', 47.61, -122.33, 'America/Los_Angeles'],
  [995, 'Anchorage', 'Alaska', 61.22, -149.9, 'America/Anchorage'],
];

const TZ: Readonly<Record<Exclude<CountryCode, 'US'>, string>> = {
  NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', DE: 'Europe/Berlin', FR: 'Europe/Paris', GB: 'Europe/London',
};

function byRange<T extends readonly [number, ...unknown[]]>(rows: readonly T[], n: number): T | undefined {
  let found: T | undefined;
  for (const row of rows) if (row[0] <= n) found = row;
  return found;
}

/** The postal code's own point: the area's town moved by a stable offset of up to ~3-4 km. */
function pointOf(country: CountryCode, code: string, lat: number, lon: number): { lat: number; lon: number } {
  const h = hash32(`${country} ${code}`);
  return { lat: round(lat + ((h % 41) - 20) * 0.0015, 4), lon: round(lon + (((h >>> 8) % 41) - 20) * 0.0025, 4) };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * A postal code as people write it → its place, or null. The point depends only on the part of
 * the code that names an area (NL's four digits, GB's outward code, a US ZIP's five digits), so
 * "1012 AB" and "1012" are one point: what Open-Meteo's geocoding finds for "1012" is where
 * weatherapi puts "1012 AB Amsterdam".
 */
export function placeOfPostalCode(country: CountryCode, raw: string): PostalPlace | null {
  const code = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  const make = (key: string, name: string, region: string, lat: number, lon: number, tz: string): PostalPlace => ({
    name, region, country, tz, postalCode: key, ...pointOf(country, key, lat, lon),
  });
  switch (country) {
    case 'NL': {
      const m = /^(\d{4})(?: ?([A-Z]{2}))?$/.exec(code);
      if (!m || Number(m[1]) < 1000) return null;
      const row = byRange(NL, Number(m[1]))!;
      return make(m[1]!, row[1], row[2], row[3], row[4], TZ.NL);
    }
    case 'BE': {
      const m = /^(\d{4})$/.exec(code);
      if (!m || Number(m[1]) < 1000) return null;
      const row = byRange(BE, Number(m[1]))!;
      return make(m[1]!, row[1], row[2], row[3], row[4], TZ.BE);
    }
    case 'DE':
    case 'FR': {
      const m = /^(\d{5})$/.exec(code);
      const row = m ? (country === 'DE' ? DE : FR)[m[1]!.slice(0, 2)] : undefined;
      return m && row ? make(m[1]!, row[0], row[1], row[2], row[3], TZ[country]) : null;
    }
    case 'GB': {
      const m = /^([A-Z]{1,2})(\d[A-Z\d]?)(?: ?(\d[A-Z]{2}))?$/.exec(code);
      const row = m ? GB[m[1]!] : undefined;
      return m && row ? make(`${m[1]}${m[2]}`, row[0], row[1], row[2], row[3], TZ.GB) : null;
    }
    case 'US': {
      const m = /^(\d{5})(?:-\d{4})?$/.exec(code);
      const row = m ? byRange(US, Number(m[1]!.slice(0, 3))) : undefined;
      return m && row ? make(m[1]!, row[1], row[2], row[3], row[4], row[5]) : null;
    }
  }
}

/** Every town once per country (its first row), for searches by name. */
export function allTowns(): Place[] {
  const out = new Map<string, Place>();
  const add = (p: Place) => {
    const key = `${p.country} ${p.name.toLowerCase()}`;
    if (!out.has(key)) out.set(key, p);
  };
  for (const r of NL) add({ name: r[1], region: r[2], country: 'NL', lat: r[3], lon: r[4], tz: TZ.NL });
  for (const r of BE) add({ name: r[1], region: r[2], country: 'BE', lat: r[3], lon: r[4], tz: TZ.BE });
  for (const r of Object.values(DE)) add({ name: r[0], region: r[1], country: 'DE', lat: r[2], lon: r[3], tz: TZ.DE });
  for (const r of Object.values(FR)) add({ name: r[0], region: r[1], country: 'FR', lat: r[2], lon: r[3], tz: TZ.FR });
  for (const r of Object.values(GB)) add({ name: r[0], region: r[1], country: 'GB', lat: r[2], lon: r[3], tz: TZ.GB });
  for (const r of US) add({ name: r[1], region: r[2], country: 'US', lat: r[3], lon: r[4], tz: r[5] });
  return [...out.values()];
}

const TOWNS = allTowns();

/** Towns whose name equals `name` (case- and accent-insensitively), optionally in one country. */
export function townsNamed(name: string, country?: CountryCode): Place[] {
  const wanted = fold(name);
  return TOWNS.filter((t) => fold(t.name) === wanted && (!country || t.country === country));
}

/** The known town nearest to a point: names weatherapi's answer for "lat,lon" and picks the zone for timezone=auto. */
export function nearestTown(lat: number, lon: number): Place {
  let best = TOWNS[0]!;
  let bestD = Infinity;
  for (const t of TOWNS) {
    const d = (t.lat - lat) ** 2 + ((t.lon - lon) * Math.cos((lat * Math.PI) / 180)) ** 2;
    if (d < bestD) {
      best = t;
      bestD = d;
    }
  }
  return best;
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim().replace(/\s+/g, ' ');
}
