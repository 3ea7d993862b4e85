import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Server-side request forgery guard for URLs that users give us and that we then call (webhook
 * receivers): only `https` (plain `http` when allowed), and never an address inside our own
 * network (loopback, private, link-local, carrier-grade NAT, multicast, reserved) or a cloud
 * metadata service.
 *
 * Addresses are checked where the connection is made: `guardedLookup` is the DNS lookup of the
 * HTTP request itself, so a name that resolves to a public address when checked and to a private
 * one when called (DNS rebinding) is still refused. Node does not call `lookup` for literal IP
 * hosts, so `checkDestination` must also run before each request.
 */
export interface AddressPolicy {
  /** Accept `http:` URLs (local development, tests). */
  allowHttp: boolean;
  /** Accept loopback and private addresses (local development, tests); metadata services stay refused. */
  allowPrivateAddresses: boolean;
}

export const STRICT_POLICY: AddressPolicy = { allowHttp: false, allowPrivateAddresses: false };

/** A URL or address the policy refuses; `message` says why, in words for the person who gave the URL. */
export class UnsafeDestinationError extends Error {
  readonly code = 'unsafe_destination';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeDestinationError';
  }
}

// One list per family: Node matches IPv4 addresses against IPv4-mapped IPv6 rules (::ffff:0:0/96).
const NOT_PUBLIC_V4 = new BlockList();
const NOT_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['::ffff:0:0', 96], // IPv4-mapped: would reach any IPv4 address, private ones included
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  NOT_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');
}

/** Instance metadata services: refused even when private addresses are allowed. */
const METADATA_V4 = new BlockList();
for (const address of ['169.254.169.254', '169.254.170.2', '100.100.100.200']) METADATA_V4.addAddress(address, 'ipv4');
const METADATA_V6 = new BlockList();
METADATA_V6.addAddress('fd00:ec2::254', 'ipv6');

/** What kind of address `address` is when `policy` refuses it ("a cloud metadata address"), or null when it may be called. */
export function refusedAddressReason(address: string, policy: AddressPolicy): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // The address itself stays out of the reason: it would tell a caller how our network resolves names.
  if ((family === 4 ? METADATA_V4 : METADATA_V6).check(address, type)) return 'a cloud metadata address';
  if (!policy.allowPrivateAddresses && (family === 4 ? NOT_PUBLIC_V4 : NOT_PUBLIC_V6).check(address, type)) {
    return 'a loopback, private, link-local or reserved address (WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true allows those for local development)';
  }
  return null;
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks scheme, credentials and, for a literal IP host, the address; throws
 * UnsafeDestinationError. Does not resolve names (see `checkDestination`).
 */
export function checkUrlShape(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeDestinationError('is not a URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new UnsafeDestinationError(
      url.protocol === 'http:' ? 'must use https (WEBHOOK_ALLOW_HTTP=true allows http for local development)' : 'must be an https URL',
    );
  }
  if (url.username || url.password) throw new UnsafeDestinationError('must not contain a user name or password');
  const host = hostOf(url);
  if (!host) throw new UnsafeDestinationError('has no host');
  if (isIP(host)) {
    const reason = refusedAddressReason(host, policy);
    if (reason) throw new UnsafeDestinationError(`points at ${reason}`);
  }
  return url;
}

/**
 * Everything `checkUrlShape` checks, plus: the host name resolves, and to no refused address.
 * For a check when a URL is saved; deliveries check again at connect time (`guardedLookup`).
 */
export async function checkDestination(raw: string, policy: AddressPolicy): Promise<URL> {
  const url = checkUrlShape(raw, policy);
  const host = hostOf(url);
  if (isIP(host)) return url;
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
    );
  } catch (err) {
    throw new UnsafeDestinationError(`has a host name that does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`);
  }
  for (const a of addresses) {
    const reason = refusedAddressReason(a.address, policy);
    if (reason) throw new UnsafeDestinationError(`resolves to ${reason}`);
  }
  return url;
}

/**
 * A `lookup` for http(s).request that refuses a name when any of its addresses is refused
 * (so a connection can never fall back to the refused one).
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true }, (err, addresses) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const reason = refusedAddressReason(a.address, policy);
        if (reason) return callback(new UnsafeDestinationError(`${hostname} resolves to ${reason}`));
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as LookupFunction;
}
