import test from 'ava';
import { createServer, type Server } from 'node:http';
import { NetworkError } from '../../lib/errors.ts';
import { openStream, send } from '../../lib/http.ts';

/** A local server answering each request with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

test('an answer of any status is returned, not thrown, with its headers and the query sent', async (t) => {
  const { url, server } = await serve((req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3', 'x-ratelimit-remaining': '0' });
    res.end(JSON.stringify({ url: req.url, auth: req.headers.authorization }));
  });
  const answer = await send({ provider: 'test', url: `${url}/retailer/shipments`, searchParams: { page: 2, 'fulfilment-method': 'FBB' }, headers: { authorization: 'Bearer x' } });
  server.close();
  t.is(answer.status, 429);
  t.is(answer.headers['retry-after'], '3');
  t.deepEqual(JSON.parse(answer.body), { url: '/retailer/shipments?page=2&fulfilment-method=FBB', auth: 'Bearer x' });
});

test('no answer at all (refused, or silent past the timeout) is a NetworkError naming the path', async (t) => {
  const { url, server } = await serve(() => undefined);
  const silent = await t.throwsAsync(send({ url: `${url}/slow`, timeoutMs: 200 }));
  server.closeAllConnections();
  server.close();
  t.true(silent instanceof NetworkError);
  t.regex(silent!.message, /GET \/slow/);
  const refused = await t.throwsAsync(send({ url: `${url}/gone`, timeoutMs: 1000 }));
  t.true(refused instanceof NetworkError);
  t.regex(refused!.message, /ECONNREFUSED/);
});

test('a streamed answer is read as it arrives, from a byte range', async (t) => {
  const { url, server } = await serve((req, res) => {
    res.writeHead(206, { 'content-type': 'application/jsonl' });
    res.end(`range ${req.headers.range}\n`);
  });
  const answer = await openStream({ url: `${url}/file.jsonl`, headers: { range: 'bytes=10-' } });
  let text = '';
  for await (const chunk of answer.body) text += chunk.toString();
  server.close();
  t.is(answer.status, 206);
  t.is(text, 'range bytes=10-\n');
});

test('a request is ended by its abort signal while it waits for the answer, and a POST body arrives whole', async (t) => {
  const { url, server } = await serve((req, res) => {
    if (req.url === '/slow') return; // never answers
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString('utf8')}`));
  });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const aborted = await t.throwsAsync(send({ url: `${url}/slow`, timeoutMs: 10_000, signal: controller.signal }));
  t.true(aborted instanceof NetworkError);
  t.true(Date.now() - started < 5_000, 'ended by the abort, not by the timeout');
  const alreadyAborted = await t.throwsAsync(send({ url: `${url}/slow`, signal: AbortSignal.abort() }));
  t.true(alreadyAborted instanceof NetworkError);
  const posted = await send({ method: 'POST', url: `${url}/echo`, body: 'é'.repeat(50_000), headers: { 'content-type': 'text/plain' } });
  server.closeAllConnections();
  server.close();
  t.is(posted.body, `got ${'é'.repeat(50_000)}`);
});
