import test from 'ava';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { checkDestination, checkUrlShape, refusedAddressReason, STRICT_POLICY, UnsafeDestinationError } from '../../lib/ssrf.ts';
import { createWebhookSender, generateSecret, signatureOf, signedHeaders } from '../../lib/standard-webhooks.ts';
import { retryDelayMs, DEFAULT_WEBHOOK_OPTIONS } from '../../crawler/webhooks/options.ts';
import { startReceiver } from './helpers.ts';

/** The pure parts: signatures against the spec's published example, the address policy, the schedule. */

test('signatures match the Standard Webhooks example and the standardwebhooks package', (t) => {
  // The example of the Standard Webhooks / Svix documentation.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  t.is(signatureOf(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');

  const fresh = generateSecret();
  const now = Math.floor(Date.now() / 1000);
  const body = '{"id":"evt_1","type":"sync.failed","created_at":"2026-11-22T10:00:00.000Z","data":{"ü":"€"}}';
  const headers = signedHeaders([fresh], 'evt_1', now, body);
  t.deepEqual(new StandardWebhook(fresh).verify(body, headers), JSON.parse(body));
  t.throws(() => new StandardWebhook(fresh).verify(body.replace('sync', 'SYNC'), headers), { message: /No matching signature/ });
  t.throws(() => new StandardWebhook(generateSecret()).verify(body, headers));
  t.throws(() => generateSecret(16), { instanceOf: RangeError });
});

test('the address policy refuses loopback, private, link-local, reserved and metadata addresses', (t) => {
  for (const address of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.1.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:a00:1::1', 'ff02::1']) {
    t.truthy(refusedAddressReason(address, STRICT_POLICY), address);
    t.is(refusedAddressReason(address, { allowHttp: true, allowPrivateAddresses: true }), null, `${address} with the setting`);
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e']) {
    t.is(refusedAddressReason(address, STRICT_POLICY), null, address);
  }
  for (const address of ['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']) {
    t.regex(refusedAddressReason(address, { allowHttp: true, allowPrivateAddresses: true }) ?? '', /metadata/, `${address} even with the setting`);
  }
});

test('URL shapes: https only, no credentials, numeric hosts normalised before the check', async (t) => {
  t.throws(() => checkUrlShape('http://example.com', STRICT_POLICY), { instanceOf: UnsafeDestinationError, message: /https/ });
  t.notThrows(() => checkUrlShape('http://example.com', { ...STRICT_POLICY, allowHttp: true }));
  t.throws(() => checkUrlShape('ftp://example.com', { allowHttp: true, allowPrivateAddresses: true }));
  t.throws(() => checkUrlShape('https://a:b@example.com', STRICT_POLICY), { message: /user name or password/ });
  for (const url of ['https://0x7f.1/', 'https://017700000001/', 'https://127.1/', 'https://[0:0:0:0:0:ffff:7f00:1]/']) {
    t.throws(() => checkUrlShape(url, STRICT_POLICY), { message: /loopback/ }, url);
  }
  await t.throwsAsync(checkDestination('https://localhost:8443/', STRICT_POLICY), { message: /resolves to a loopback/ });
  await t.throwsAsync(checkDestination('https://no-such-host.invalid/', STRICT_POLICY), { message: /does not resolve/ });
});

test('the sender connects only through the guarded lookup and follows no redirect', async (t) => {
  const receiver = await startReceiver((n) => (n === 1 ? 302 : 200));
  t.teardown(() => receiver.close());
  const strict = createWebhookSender({ allowHttp: true, allowPrivateAddresses: false });
  const open = createWebhookSender({ allowHttp: true, allowPrivateAddresses: true });
  t.teardown(() => {
    strict.close();
    open.close();
  });
  const post = (sender: typeof strict, url: string) => sender.post({ url, messageId: 'evt_1', body: '{}', secrets: [generateSecret()], timeoutMs: 1_000 });

  const byName = await post(strict, `http://localhost:${receiver.port}/hooks`);
  t.like(byName, { ok: false, refused: true, statusCode: null });
  const byAddress = await post(strict, `http://127.0.0.1:${receiver.port}/hooks`);
  t.like(byAddress, { ok: false, refused: true });
  t.is(receiver.received.length, 0);

  const redirected = await post(open, `http://localhost:${receiver.port}/hooks`);
  t.like(redirected, { ok: false, statusCode: 302 });
  t.regex(redirected.error ?? '', /redirects are not followed/);
  t.is(receiver.received.length, 1);
});

test('the retry schedule backs off exponentially with jitter to about three days', (t) => {
  const base = DEFAULT_WEBHOOK_OPTIONS;
  t.true(retryDelayMs(1, base) >= 24_000 && retryDelayMs(1, base) <= 36_000);
  t.true(retryDelayMs(5, base) >= 0.8 * 480_000 && retryDelayMs(5, base) <= 1.2 * 480_000);
  t.true(retryDelayMs(30, base) <= 1.2 * base.maxDelayMs);
  // Attempts made before an event is three days old, with the middle of the jitter.
  let elapsedMs = 0;
  let attempts = 1;
  for (;;) {
    const next = Math.min(base.maxDelayMs, base.baseDelayMs * 2 ** (attempts - 1));
    if (elapsedMs + next > base.maxAgeMs) break;
    elapsedMs += next;
    attempts++;
  }
  t.true(attempts >= 14 && attempts <= 18, `${attempts} attempts`);
  t.true(elapsedMs > 2.5 * 86_400_000, `last attempt after ${(elapsedMs / 86_400_000).toFixed(1)} days`);
});
