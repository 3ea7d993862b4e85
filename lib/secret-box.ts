import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing with a key id, so keys can be rotated: seal with the current key, open
 * with whichever key the sealed value names. Format: `<keyId>.<iv>.<tag>.<ciphertext>` (base64url).
 * The key id is a hash prefix of the key itself, so no separate key registry is needed.
 */
export interface SecretBox {
  readonly keyId: string;
  seal(plaintext: string): { keyId: string; sealed: string };
  open(sealed: string): string;
  /** True when the value was sealed with an older key and should be re-sealed. */
  isStale(sealed: string): boolean;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function createSecretBox(currentKeyBase64: string, previousKeysBase64: string[] = []): SecretBox {
  const current = decodeKey(currentKeyBase64);
  const keys = new Map<string, Buffer>();
  for (const k of [currentKeyBase64, ...previousKeysBase64]) {
    const key = decodeKey(k);
    keys.set(keyIdOf(key), key);
  }
  const currentId = keyIdOf(current);

  return {
    keyId: currentId,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      // The key id is authenticated data: a value cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(currentId));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return { keyId: currentId, sealed: [currentId, iv, tag, ct].map(b64).join('.') };
    },
    open(sealed) {
      const [keyId, iv, tag, ct] = sealed.split('.');
      if (!keyId || !iv || !tag || ct === undefined) throw new Error('Sealed value is malformed');
      const key = keys.get(keyId);
      if (!key) throw new Error(`Sealed with key ${keyId}, which is neither SECRETS_KEY nor in SECRETS_KEY_PREVIOUS`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
    isStale(sealed) {
      return !sealed.startsWith(currentId + '.');
    },
  };
}

/** Shorter generated secrets are refused: they would not carry a key's worth of randomness. */
export const MIN_GENERATED_SECRET_CHARS = 32;

/**
 * The 32-byte key a secrets key names: 32 bytes written in base64 (`openssl rand -base64 32`),
 * or any other string of at least 32 characters, such as the random string a Heroku app.json
 * `"generator": "secret"` writes, hashed with SHA-256. Undefined when it is neither.
 */
export function decodeSecretsKey(value: string): Buffer | undefined {
  const key = Buffer.from(value, 'base64');
  if (key.length === 32) return key;
  if (value.length >= MIN_GENERATED_SECRET_CHARS) return createHash('sha256').update(value, 'utf8').digest();
  return undefined;
}

function decodeKey(value: string): Buffer {
  const key = decodeSecretsKey(value);
  if (!key) throw new Error(`A secrets key must be 32 bytes in base64, or a generated secret of at least ${MIN_GENERATED_SECRET_CHARS} characters`);
  return key;
}

function b64(v: string | Buffer): string {
  return typeof v === 'string' ? v : v.toString('base64url');
}
