import { z } from 'zod';
import { envUrl } from '../../../lib/env.ts';

/**
 * What a Shopify shop connects with, and where the connector goes.
 *
 * Three ways a shop connects (POST /shops `credentials`), told apart by which fields are given:
 * - client credentials: `{shop_domain, client_id, client_secret}`, a Dev Dashboard app of the
 *   merchant's own organisation; tokens come from the client credentials grant (about 24 h);
 * - access token: `{shop_domain, access_token}`, an existing custom-app token (`shpat_…`) that
 *   never expires;
 * - expiring offline token: `{shop_domain, client_id, client_secret, access_token, refresh_token}`,
 *   a 1-hour token whose refresh token Shopify replaces on every refresh.
 *
 * `shop_domain` is the shop's `<name>.myshopify.com` (not a custom domain, which the Admin API does
 * not answer on). It is read in any case and with or without `https://` and a trailing slash, as
 * people copy it from the address bar, and stored as the bare lower-case domain.
 */

/** The Admin API version every query is written against (Shopify's latest stable, 2026-10). */
export const SHOPIFY_API_VERSION = '2026-10';

const MYSHOPIFY_DOMAIN = /^([a-z0-9][a-z0-9-]{0,61})\.myshopify\.com$/;

const text = (max: number) =>
  z
    .string({ invalid_type_error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);

const shopDomain = z
  .string({ invalid_type_error: 'must be a string', required_error: 'is required' })
  .transform((v) => v.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, ''))
  .refine((v) => MYSHOPIFY_DOMAIN.test(v), 'must be the shop\'s <name>.myshopify.com domain (Shopify admin > Settings > Domains)');

const credentials = z
  .object({
    shop_domain: shopDomain,
    client_id: text(256).optional(),
    client_secret: text(512).optional(),
    access_token: text(512).optional(),
    refresh_token: text(512).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const missing = (field: string, why: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `is required ${why}` });
    const hasClient = c.client_id !== undefined || c.client_secret !== undefined;
    if (c.refresh_token !== undefined || (hasClient && c.access_token !== undefined)) {
      // An expiring offline token: the pair and the app that refreshes it.
      const why = 'with an expiring offline token (client_id, client_secret, access_token and refresh_token)';
      for (const f of ['client_id', 'client_secret', 'access_token', 'refresh_token'] as const) if (c[f] === undefined) missing(f, why);
    } else if (hasClient) {
      const why = 'with client credentials (client_id and client_secret)';
      for (const f of ['client_id', 'client_secret'] as const) if (c[f] === undefined) missing(f, why);
    } else if (c.access_token === undefined) {
      missing('access_token', 'unless client_id and client_secret are given');
    }
  });

export type ShopifyCredentials = z.infer<typeof credentials>;
export const shopifyCredentials = credentials;

export type ShopifyAuth =
  | { kind: 'client_credentials'; clientId: string; clientSecret: string }
  | { kind: 'access_token'; accessToken: string }
  | { kind: 'refresh_token'; clientId: string; clientSecret: string; accessToken: string; refreshToken: string };

/** Which of the three ways the (validated) credentials connect. */
export function authOf(c: ShopifyCredentials): ShopifyAuth {
  if (c.refresh_token !== undefined) return { kind: 'refresh_token', clientId: c.client_id!, clientSecret: c.client_secret!, accessToken: c.access_token!, refreshToken: c.refresh_token };
  if (c.client_id !== undefined) return { kind: 'client_credentials', clientId: c.client_id, clientSecret: c.client_secret! };
  return { kind: 'access_token', accessToken: c.access_token! };
}

const settings = z
  .object({
    SHOPIFY_API_URL: envUrl(['http:', 'https:'])
      .refine((v) => v.includes('{shop}'), 'must contain {shop}, where the shop\'s subdomain goes (https://{shop}.myshopify.com)')
      .default('https://{shop}.myshopify.com'),
    /** How an initial run reads the shop: `bulk` (a bulk operation) or `paging` (orders page by page). */
    SHOPIFY_INITIAL_SYNC: z.enum(['bulk', 'paging'], { errorMap: () => ({ message: 'must be bulk or paging' }) }).default('bulk'),
  })
  .transform((e) => ({ apiUrl: e.SHOPIFY_API_URL, initialSync: e.SHOPIFY_INITIAL_SYNC }));
export type ShopifySettings = z.infer<typeof settings>;
export const shopifySettings = settings;

/** The shop's base URL: the template with the shop's subdomain in place of `{shop}`. */
export function shopBaseUrl(s: Pick<ShopifySettings, 'apiUrl'>, shopDomain: string): string {
  const sub = MYSHOPIFY_DOMAIN.exec(shopDomain)?.[1] ?? shopDomain;
  return s.apiUrl.replace('{shop}', sub).replace(/\/+$/, '');
}

export function graphqlUrl(base: string): string {
  return `${base}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
}

export function tokenUrl(base: string): string {
  return `${base}/admin/oauth/access_token`;
}
