/**
 * Word lists for generated bol data: Dutch and Belgian places, streets, names and products.
 * Real-looking on purpose, so a client's parsing (postcodes, accents, apostrophes in
 * "'s-Hertogenbosch", "Rue de l'Église") meets what production data will throw at it.
 */

/** NL city with the range of its 4-digit postcode area (the letters are generated). */
export interface NlCity {
  city: string;
  postcodeFrom: number;
  postcodeTo: number;
  weight: number;
}

export const NL_CITIES: readonly NlCity[] = [
  { city: 'Amsterdam', postcodeFrom: 1011, postcodeTo: 1109, weight: 14 },
  { city: 'Rotterdam', postcodeFrom: 3011, postcodeTo: 3089, weight: 10 },
  { city: "'s-Gravenhage", postcodeFrom: 2491, postcodeTo: 2597, weight: 8 },
  { city: 'Utrecht', postcodeFrom: 3511, postcodeTo: 3585, weight: 6 },
  { city: 'Eindhoven', postcodeFrom: 5611, postcodeTo: 5658, weight: 4 },
  { city: 'Groningen', postcodeFrom: 9711, postcodeTo: 9747, weight: 3 },
  { city: 'Tilburg', postcodeFrom: 5011, postcodeTo: 5049, weight: 3 },
  { city: 'Almere', postcodeFrom: 1311, postcodeTo: 1361, weight: 3 },
  { city: 'Breda', postcodeFrom: 4811, postcodeTo: 4839, weight: 3 },
  { city: 'Nijmegen', postcodeFrom: 6511, postcodeTo: 6546, weight: 3 },
  { city: 'Haarlem', postcodeFrom: 2011, postcodeTo: 2037, weight: 2 },
  { city: 'Arnhem', postcodeFrom: 6811, postcodeTo: 6846, weight: 2 },
  { city: 'Zwolle', postcodeFrom: 8011, postcodeTo: 8048, weight: 2 },
  { city: 'Leiden', postcodeFrom: 2311, postcodeTo: 2334, weight: 2 },
  { city: 'Maastricht', postcodeFrom: 6211, postcodeTo: 6229, weight: 2 },
  { city: 'Delft', postcodeFrom: 2611, postcodeTo: 2629, weight: 1 },
  { city: 'Amersfoort', postcodeFrom: 3811, postcodeTo: 3830, weight: 2 },
  { city: 'Apeldoorn', postcodeFrom: 7311, postcodeTo: 7339, weight: 2 },
  { city: "'s-Hertogenbosch", postcodeFrom: 5211, postcodeTo: 5237, weight: 2 },
  { city: 'Enschede', postcodeFrom: 7511, postcodeTo: 7548, weight: 2 },
  { city: 'Leeuwarden', postcodeFrom: 8911, postcodeTo: 8939, weight: 1 },
  { city: 'Alkmaar', postcodeFrom: 1811, postcodeTo: 1827, weight: 1 },
];

export const NL_STREETS: readonly string[] = [
  'Kalverstraat', 'Damrak', 'Prinsengracht', 'Keizersgracht', 'Herengracht', 'Hoofdstraat',
  'Kerkstraat', 'Dorpsstraat', 'Stationsweg', 'Molenstraat', 'Schoolstraat', 'Julianalaan',
  'Wilhelminastraat', 'Beatrixlaan', 'Nieuwstraat', 'Marktstraat', 'Lindelaan', 'Eikenlaan',
  'Berkenlaan', 'Parallelweg', 'Industrieweg', 'Oranjestraat', 'Burgemeester de Withstraat',
  'Van Goghstraat', 'Rembrandtlaan', 'Populierenlaan', 'Sportlaan', 'Zeeweg', 'Koningin Emmalaan',
  'Tulpstraat', 'Achterweg', 'Van der Helstplein', 'Graaf Florisstraat', 'Prins Hendrikkade',
];

/** NL postcode letters: F, I, O, Q, U and Y are not used, nor the combinations SA, SD and SS. */
export const NL_POSTCODE_LETTERS = 'ABCDEGHJKLMNPRSTVWXZ';
export const NL_FORBIDDEN_POSTCODE_PAIRS: readonly string[] = ['SA', 'SD', 'SS'];

export interface BeCity {
  city: string;
  postcode: string;
  /** Language of the region: Flemish, Walloon, or bilingual Brussels. */
  region: 'nl' | 'fr' | 'both';
  weight: number;
}

export const BE_CITIES: readonly BeCity[] = [
  { city: 'Antwerpen', postcode: '2000', region: 'nl', weight: 8 },
  { city: 'Gent', postcode: '9000', region: 'nl', weight: 6 },
  { city: 'Brussel', postcode: '1000', region: 'both', weight: 6 },
  { city: 'Elsene', postcode: '1050', region: 'both', weight: 2 },
  { city: 'Brugge', postcode: '8000', region: 'nl', weight: 3 },
  { city: 'Leuven', postcode: '3000', region: 'nl', weight: 3 },
  { city: 'Mechelen', postcode: '2800', region: 'nl', weight: 2 },
  { city: 'Hasselt', postcode: '3500', region: 'nl', weight: 2 },
  { city: 'Kortrijk', postcode: '8500', region: 'nl', weight: 2 },
  { city: 'Aalst', postcode: '9300', region: 'nl', weight: 2 },
  { city: 'Sint-Niklaas', postcode: '9100', region: 'nl', weight: 1 },
  { city: 'Oostende', postcode: '8400', region: 'nl', weight: 1 },
  { city: 'Genk', postcode: '3600', region: 'nl', weight: 1 },
  { city: 'Liège', postcode: '4000', region: 'fr', weight: 3 },
  { city: 'Namur', postcode: '5000', region: 'fr', weight: 2 },
  { city: 'Charleroi', postcode: '6000', region: 'fr', weight: 2 },
  { city: 'Mons', postcode: '7000', region: 'fr', weight: 1 },
  { city: 'Wavre', postcode: '1300', region: 'fr', weight: 1 },
];

export const BE_STREETS_NL: readonly string[] = [
  'Meir', 'Kerkstraat', 'Stationsstraat', 'Veldstraat', 'Nieuwstraat', 'Grote Markt',
  'Kapelstraat', 'Molenstraat', 'Dorpstraat', 'Lange Leemstraat', 'Koningin Astridlaan',
  'Sint-Pietersnieuwstraat', 'Bondgenotenlaan', 'Diestsesteenweg',
];

export const BE_STREETS_FR: readonly string[] = [
  'Rue de la Station', 'Rue Neuve', "Rue de l'Église", 'Avenue Louise', 'Chaussée de Charleroi',
  'Place Saint-Lambert', 'Rue du Moulin', 'Boulevard de la Sauvenière', 'Rue des Wallons',
  'Avenue de Tervueren',
];

export const FIRST_NAMES_MALE: readonly string[] = [
  'Jan', 'Pieter', 'Daan', 'Sem', 'Lucas', 'Bram', 'Thijs', 'Jeroen', 'Maarten', 'Wouter',
  'Sander', 'Koen', 'Ruben', 'Joris', 'Stijn', 'Wim', 'Hendrik', 'Mohamed', 'Yusuf', 'Thomas',
  'Arnaud', 'Jérôme', 'Luc',
];

export const FIRST_NAMES_FEMALE: readonly string[] = [
  'Anna', 'Emma', 'Sophie', 'Julia', 'Lotte', 'Fleur', 'Sanne', 'Eva', 'Lisa', 'Marloes',
  'Inge', 'Femke', 'Anouk', 'Noor', 'Fatima', 'Saskia', 'Ellen', 'Hanneke', 'Amélie', 'Chloé',
  'Marie',
];

export const SURNAME_PREFIXES: readonly (readonly [string, number])[] = [
  ['', 10], ['de ', 3], ['van ', 2], ['van der ', 1], ['van den ', 1], ['van de ', 1], ["'t ", 0.2],
];

export const SURNAMES: readonly string[] = [
  'Jong', 'Jansen', 'Vries', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Boer', 'Mulder', 'Groot',
  'Bos', 'Vos', 'Peters', 'Hendriks', 'Dijk', 'Berg', 'Dekker', 'Brink', 'Maes', 'Claes',
  'Willems', 'Goossens', 'Wouters', 'Janssens', 'Dubois', 'Lambert', 'El Amrani', 'Yılmaz',
  'Heuvel', 'Wit', 'Linden', 'Leeuw',
];

export const COMPANIES: readonly string[] = [
  'Bakkerij Jansen B.V.', 'Fietsenmakerij De Spaak', 'Kantoorhuis Utrecht B.V.', 'Studio Noord',
  'Van den Berg Installatietechniek', 'BVBA Peeters & Zonen', 'Brasserie Le Coin SPRL',
  'Tandartspraktijk Centrum', 'Kinderopvang De Regenboog',
];

export const PICKUP_POINT_NAMES: readonly string[] = [
  'PostNL Punt Albert Heijn', 'PostNL Punt Primera', 'DHL ServicePoint Bruna', 'DHL ServicePoint Jumbo',
  'bpost Point Standaard Boekhandel', 'PostNL Pakketautomaat', 'Bol.com Afhaalpunt Hema',
];

export const EXTRA_ADDRESS_INFO: readonly string[] = [
  'Achterom', 'Bel 2x', '2e verdieping', 'Naast de garage', 'Pakket bij de buren (nr. 14) s.v.p.',
];

export interface Product {
  title: string;
  priceEur: number;
  /** Fraction of the price bol takes as commission for the category, on top of a fixed fee. */
  commissionRate: number;
}

export const PRODUCTS: readonly Product[] = [
  { title: 'Philips Sonicare ProtectiveClean 4300 - Elektrische tandenborstel - Wit', priceEur: 59.99, commissionRate: 0.1 },
  { title: 'LEGO Creator 3-in-1 31139 Gezellig Huis', priceEur: 74.99, commissionRate: 0.1 },
  { title: 'Tefal Ingenio Easy Cook & Clean pannenset 10-delig', priceEur: 89.95, commissionRate: 0.12 },
  { title: 'JBL Flip 6 - Draagbare Bluetooth Speaker - Zwart', priceEur: 109, commissionRate: 0.07 },
  { title: 'Mario Kart 8 Deluxe - Nintendo Switch', priceEur: 49.99, commissionRate: 0.08 },
  { title: 'De Cuyper - Koffiebonen Espresso Bio - 1 kg', priceEur: 24.5, commissionRate: 0.12 },
  { title: 'Dikkie Dik - De verjaardag van Dikkie Dik (prentenboek)', priceEur: 12.99, commissionRate: 0.15 },
  { title: 'Samsung Galaxy Buds2 Pro - Graphite', priceEur: 149, commissionRate: 0.07 },
  { title: 'Douwe Egberts Aroma Rood Koffiepads - 4 x 36 stuks', priceEur: 16.49, commissionRate: 0.11 },
  { title: 'Brabantia NewIcon Pedaalemmer 30 liter - Matt Black', priceEur: 69.95, commissionRate: 0.12 },
  { title: 'Stanley Quencher H2.0 FlowState Tumbler 1,18 L - Rose Quartz', priceEur: 49.95, commissionRate: 0.12 },
  { title: 'Garmin Forerunner 55 - Hardloophorloge met GPS - Zwart', priceEur: 169, commissionRate: 0.08 },
  { title: 'Hama USB-C naar USB-C kabel 1 m - Zwart', priceEur: 9.99, commissionRate: 0.15 },
  { title: 'Het Achterhuis - Anne Frank (paperback)', priceEur: 12.5, commissionRate: 0.15 },
  { title: 'Oral-B Opzetborstels Precision Clean - 8 stuks', priceEur: 27.99, commissionRate: 0.1 },
  { title: 'Nivea Men Sensitive Scheergel 200 ml', priceEur: 4.99, commissionRate: 0.12 },
  { title: 'Ravensburger Puzzel Amsterdamse Grachten - 1000 stukjes', priceEur: 16.99, commissionRate: 0.14 },
  { title: 'Bosch PSR 1200 LI-2 Accuboormachine 12V', priceEur: 79.99, commissionRate: 0.1 },
  { title: 'IKEA-compatibel Opbergbox met deksel - set van 3 - Grijs', priceEur: 19.95, commissionRate: 0.13 },
  { title: 'Sportbidon 750 ml - BPA-vrij - Mintgroen', priceEur: 8.95, commissionRate: 0.14 },
  { title: 'Catan Basisspel - Bordspel (NL)', priceEur: 37.99, commissionRate: 0.12 },
  { title: "Pampers Baby-Dry Luiers Maat 4 - 174 stuks", priceEur: 44.99, commissionRate: 0.08 },
  { title: 'Logitech MX Master 3S Draadloze Muis - Grafiet', priceEur: 99.99, commissionRate: 0.07 },
  { title: 'Yoga mat extra dik 183 x 61 cm - Antislip - Paars', priceEur: 22.95, commissionRate: 0.13 },
  { title: 'Tony\'s Chocolonely Melk 180 g - 6 repen', priceEur: 23.94, commissionRate: 0.11 },
  { title: 'Philips Hue White Ambiance E27 - 2-pack', priceEur: 39.99, commissionRate: 0.09 },
  { title: 'Kinderfiets 16 inch - Blauw', priceEur: 179, commissionRate: 0.1 },
  { title: 'Rituals The Ritual of Sakura Gift Set M', priceEur: 29.9, commissionRate: 0.13 },
  { title: 'Kookboek: Ottolenghi Simpel', priceEur: 34.99, commissionRate: 0.15 },
  { title: 'Telefoonhoesje geschikt voor iPhone 15 - Transparant', priceEur: 7.49, commissionRate: 0.15 },
];

/**
 * Transporter codes per situation, with weights (contract §5 lists the codes). Retailers ship
 * FBR parcels with whatever carrier they contract; bol ships FBB itself with a few big ones.
 */
export const FBR_TRANSPORTERS_NL: readonly (readonly [string, number])[] = [
  ['TNT', 40], ['DHLFORYOU', 18], ['DPD-NL', 10], ['GLS', 6], ['UPS', 5], ['TNT_BRIEF', 5],
  ['BRIEFPOST', 3], ['RJP', 3], ['TNT-EXTRA', 2], ['DHL_DE', 2], ['DYL', 1], ['FEDEX_NL', 1], ['OTHER', 1],
];
export const FBR_TRANSPORTERS_BE: readonly (readonly [string, number])[] = [
  ['BPOST_BE', 35], ['TNT', 15], ['DHLFORYOU', 12], ['DPD-BE', 12], ['GLS', 8], ['UPS', 6],
  ['BPOST_BRIEF', 5], ['DHL', 2], ['DHL_DE', 2], ['FEDEX_BE', 1],
];
export const FBB_TRANSPORTERS_NL: readonly (readonly [string, number])[] = [['TNT', 60], ['DHLFORYOU', 40]];
export const FBB_TRANSPORTERS_BE: readonly (readonly [string, number])[] = [['BPOST_BE', 50], ['TNT', 30], ['DHLFORYOU', 20]];

/** Letter-post services have no track & trace, hence no transport events either. */
export const UNTRACKED_TRANSPORTERS: ReadonlySet<string> = new Set(['TNT_BRIEF', 'BRIEFPOST', 'BPOST_BRIEF', 'OTHER']);

/** Carriers whose labels can be bought through bol ("Verzenden via bol"), which sets shippingLabelId. */
export const BOL_LABEL_TRANSPORTERS: ReadonlySet<string> = new Set(['TNT', 'DHLFORYOU', 'DPD-NL', 'DPD-BE', 'BPOST_BE']);
