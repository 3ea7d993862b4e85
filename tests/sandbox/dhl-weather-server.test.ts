/** `tsx sandbox/server.ts` also starts the DHL and weather simulators, prints their URLs, and DHL knows the bol shipments sent with DHL. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Shipment } from '../../sandbox/bol/index.ts';
import { api, token } from './helpers.ts';

const entry = fileURLToPath(new URL('../../sandbox/server.ts', import.meta.url));

test('the standalone server runs the DHL and weather simulators beside bol', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_SHIPMENTS: '40', SANDBOX_DHL_API_KEY: 'dhl-test-key', SANDBOX_DHL_PER_SECOND: '20' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URLs printed:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('OPEN_METEO_GEOCODING_URL=')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const bolUrl = /BOL_API_URL=(\S+)/.exec(output)![1]!;
  const dhlUrl = /DHL_API_URL=(\S+)/.exec(output)![1]!;
  const weatherUrl = /WEATHERAPI_URL=(\S+)/.exec(output)![1]!;
  t.regex(output, /DHL_API_KEY=dhl-test-key/);
  t.regex(output, /limits 20\/s, 250\/day/);
  t.is(/OPEN_METEO_URL=(\S+)/.exec(output)![1], weatherUrl);
  const tracked = Number(/tracked shipments: (\d+)/.exec(output)![1]);
  t.true(tracked > 0, output);

  // A bol shipment sent with DHL is known to the DHL simulator by its track & trace code.
  const accessToken = await token(bolUrl);
  const list = (await (await api(bolUrl, '/retailer/shipments?page=1', accessToken)).json()) as { shipments: { shipmentId: string }[] };
  let number: string | undefined;
  for (const { shipmentId } of list.shipments) {
    const detail = (await (await api(bolUrl, `/retailer/shipments/${shipmentId}`, accessToken)).json()) as Shipment;
    if (/^DHL/.test(detail.transport.transporterCode ?? '') && detail.transport.trackAndTrace) {
      number = detail.transport.trackAndTrace;
      break;
    }
  }
  t.truthy(number, 'a DHL shipment among the first page');
  const dhl = await fetch(`${dhlUrl}/track/shipments?trackingNumber=${number}`, { headers: { 'DHL-API-Key': 'dhl-test-key' } });
  t.is(dhl.status, 200);
  t.is((await fetch(`${dhlUrl}/track/shipments?trackingNumber=${number}`)).status, 401);

  const weather = await fetch(`${weatherUrl}/v1/current.json?key=demo-weather-key&q=10115,%20Germany&aqi=no`);
  t.is(weather.status, 200);
  t.is((await fetch(`${weatherUrl}/v1/search?name=1012&countryCode=NL`)).status, 200);

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  t.is(code, 0);
});
