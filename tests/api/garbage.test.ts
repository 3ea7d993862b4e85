import test from 'ava';
import { mulberry32 } from '../../sandbox/prng.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness, type ApiAnswer, type ApiHarness } from '../helpers/api.ts';

/**
 * Nothing a client sends may cause a 500: random strings in every query parameter, path
 * parameter and body field, broken bodies and odd headers. Every answer is < 500, and every
 * 4xx has the error shape (with `[{field, reason}]` for validation_failed). Seeded, so a failure
 * repeats.
 */

const SEED = 20261122;

const NASTY = [
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '9'.repeat(40),
  'null',
  'true',
  '[]',
  '{}',
  '{"a":1}',
  "' OR 1=1 --",
  '"; DROP TABLE shops; --',
  '../../etc/passwd',
  '%',
  '%00',
  '%ff%fe',
  '%E0%A4%A',
  '\u0000',
  '\u0007\u001b[31m',
  '\ud800',
  '\udfff\ud800',
  '😀'.repeat(300),
  'é',
  'Ω≈ç√∫',
  '\n\r\t',
  '<script>alert(1)</script>',
  'x'.repeat(5000),
  '2026-02-31T00:00:00Z',
  '2026-11-22T10:00:00Z',
  '+31 6 1234 5678',
  'eyJ2IjoxLCJrIjpbMV0sImYiOiJ4In0',
  '__proto__',
  'constructor',
];

function randomString(rand: () => number): string {
  if (rand() < 0.5) return NASTY[Math.floor(rand() * NASTY.length)]!;
  const length = Math.floor(rand() * 40);
  let s = '';
  for (let i = 0; i < length; i += 1) {
    const r = rand();
    s += r < 0.6 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : r < 0.8 ? String.fromCharCode(Math.floor(rand() * 0x2000)) : String.fromCharCode(0xd800 + Math.floor(rand() * 0x800));
  }
  return s;
}

function randomJson(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (r < 0.35) return randomString(rand);
  if (r < 0.5) return [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 1441, 15][Math.floor(rand() * 8)];
  if (r < 0.6) return rand() < 0.5;
  if (r < 0.7) return null;
  if (depth > 2) return 'deep';
  if (r < 0.85) return Array.from({ length: Math.floor(rand() * 3) }, () => randomJson(rand, depth + 1));
  return { client_id: randomJson(rand, depth + 1), client_secret: randomJson(rand, depth + 1), [randomString(rand)]: randomJson(rand, depth + 1) };
}

function checkAnswer(t: { true(v: boolean, m?: string): void; false(v: boolean, m?: string): void }, answer: ApiAnswer, what: string): void {
  t.true(answer.status < 500, `${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  if (answer.status >= 400) {
    const e = answer.body?.error;
    t.true(typeof e?.code === 'string' && typeof e?.message === 'string' && 'details' in e, `${what}: error shape ${answer.text.slice(0, 300)}`);
    if (e?.code === 'validation_failed') {
      t.true(Array.isArray(e.details) && e.details.every((d: { field: unknown; reason: unknown }) => typeof d.field === 'string' && typeof d.reason === 'string'), `${what}: field issues`);
    }
    t.false(answer.text.includes('    at '), `${what}: no stack trace`);
  }
}

eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: random strings in every query and path parameter never cause a 500`, async (t) => {
    const h = api();
    const rand = mulberry32(SEED);
    const params = ['shop_id', 'status', 'carrier', 'tracking_number', 'reference', 'phone', 'updated_since', 'limit', 'cursor'];
    for (let i = 0; i < 150; i += 1) {
      const query = new URLSearchParams();
      for (const name of params) if (rand() < 0.4) query.append(name, randomString(rand));
      if (rand() < 0.1) query.append(randomString(rand) || 'x', randomString(rand));
      if (rand() < 0.1) query.append('status', 'pending');
      const what = `GET /shipments?${query}`;
      checkAnswer(t, await h.request('GET', `/shipments?${query}`), what);
    }
    for (let i = 0; i < 20; i += 1) {
      const limit = percentEncode(randomString(rand));
      checkAnswer(t, await h.request('GET', `/shops/1/syncs?limit=${limit}`), `GET /shops/1/syncs?limit=${limit}`);
    }
    const routes: [string, string][] = [
      ['GET', '/shops/:id'],
      ['PATCH', '/shops/:id'],
      ['DELETE', '/shops/:id'],
      ['POST', '/shops/:id/syncs'],
      ['GET', '/shops/:id/syncs'],
      ['GET', '/syncs/:id'],
      ['GET', '/syncs/:id/events'],
      ['GET', '/shipments/:id'],
    ];
    for (const [method, template] of routes) {
      for (let i = 0; i < 25; i += 1) {
        const raw = randomString(rand);
        // Mostly encoded, sometimes raw (broken percent-encoding, a slash, a dot segment).
        const id = rand() < 0.8 ? percentEncode(raw) : raw.replace(/[?#]/g, '');
        const path = template.replace(':id', id);
        const answer = await h.request(method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : { name: 'x', type: 'initial' } });
        checkAnswer(t, answer, `${method} ${path}`);
      }
    }
  });

  test(`${set.name}: random values in every body field never cause a 500`, async (t) => {
    const h = api();
    const rand = mulberry32(SEED + 1);
    const shop = await createShop(h);
    const goodCredentials = { client_id: h.bolClient.clientId, client_secret: h.bolClient.clientSecret };
    const field = (): unknown => randomJson(rand);
    for (let i = 0; i < 60; i += 1) {
      const body: Record<string, unknown> = { name: 'Garbage', platform: 'bol', credentials: goodCredentials };
      for (const key of ['name', 'platform', 'credentials', 'sync_interval_minutes']) if (rand() < 0.5) body[key] = field();
      if (rand() < 0.2) body[randomString(rand) || 'y'] = field();
      checkAnswer(t, await h.request('POST', '/shops', { body }), `POST /shops ${JSON.stringify(body).slice(0, 200)}`);

      const patch: Record<string, unknown> = {};
      for (const key of ['name', 'credentials', 'status', 'sync_interval_minutes']) if (rand() < 0.4) patch[key] = field();
      checkAnswer(t, await h.request('PATCH', `/shops/${shop.id}`, { body: patch }), `PATCH /shops/:id ${JSON.stringify(patch).slice(0, 200)}`);

      const sync = rand() < 0.7 ? { type: field() } : (field() as object);
      checkAnswer(t, await h.request('POST', `/shops/${shop.id}/syncs`, { body: JSON.stringify(sync) ?? 'null' }), `POST /shops/:id/syncs ${JSON.stringify(sync)?.slice(0, 200)}`);
    }
  });

  test(`${set.name}: broken bodies and odd headers never cause a 500`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const bodies = [
      '',
      '{',
      '}',
      'null',
      '42',
      '"text"',
      '[]',
      '{"name":"x",}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '['.repeat(100_000),
      `{"name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      '\u0000\u0001\u0002',
      Buffer.from([0xff, 0xfe, 0xfd]).toString('latin1'),
      `{"name":"${'a'.repeat(1_048_600)}"}`,
    ];
    const headerSets: Record<string, string>[] = [
      { 'content-type': 'application/json' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/json; charset=latin1' },
      { 'content-type': 'application/json; charset=nonsense' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      { 'content-type': 'application/json', 'content-encoding': 'br-nonsense' },
    ];
    for (const [method, path] of [
      ['POST', '/shops'],
      ['PATCH', `/shops/${shop.id}`],
      ['POST', `/shops/${shop.id}/syncs`],
    ] as const) {
      for (const body of bodies) {
        for (const headers of headerSets) {
          const answer = await h.request(method, path, { body, headers });
          checkAnswer(t, answer, `${method} ${path} ${JSON.stringify(headers)} body ${body.slice(0, 40)}… (${body.length} chars)`);
        }
      }
    }
    for (const authorization of ['Bearer', 'Bearer  ', `Bearer ${h.token} extra`, 'Bearer \u00ff', `${h.token}`, 'Basic Og==']) {
      checkAnswer(t, await raw(h, '/shops', { authorization }), `Authorization ${JSON.stringify(authorization)}`);
    }
    t.is((await h.request('GET', '/health', { token: null })).status, 200, 'still healthy afterwards');
  });
});

/** Every UTF-8 byte percent-encoded (lone surrogates become U+FFFD, as on the wire). */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

/** fetch refuses some header values; node:http sends them as bytes. */
async function raw(h: ApiHarness, path: string, headers: Record<string, string>): Promise<ApiAnswer> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(h.url + path, { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v, 'latin1').toString('latin1')])) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: new Headers(), text, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
