import test from 'ava';
import { createSecretBox } from '../../lib/secret-box.ts';

const oldKey = Buffer.alloc(32, 1).toString('base64');
const newKey = Buffer.alloc(32, 2).toString('base64');

test('sealed credentials do not contain the plaintext and open again', (t) => {
  const box = createSecretBox(newKey);
  const { sealed, keyId } = box.seal('{"client_secret":"s3cr3t"}');
  t.false(sealed.includes('s3cr3t'));
  t.true(sealed.startsWith(keyId + '.'));
  t.is(box.open(sealed), '{"client_secret":"s3cr3t"}');
});

test('after rotation old values open with the previous key and are reported stale', (t) => {
  const before = createSecretBox(oldKey).seal('secret');
  const rotated = createSecretBox(newKey, [oldKey]);
  t.is(rotated.open(before.sealed), 'secret');
  t.true(rotated.isStale(before.sealed));
  t.false(rotated.isStale(rotated.seal('secret').sealed));
});

test('a value sealed with an unknown key or tampered with does not open', (t) => {
  const sealed = createSecretBox(oldKey).seal('secret').sealed;
  t.throws(() => createSecretBox(newKey).open(sealed), { message: /neither SECRETS_KEY/ });
  const parts = sealed.split('.');
  parts[3] = Buffer.from('tampered').toString('base64url');
  t.throws(() => createSecretBox(oldKey).open(parts.join('.')));
});
