import { z, type ZodTypeAny } from 'zod';
import { platformsFromEnv, type ConfiguredPlatform } from '../../crawler/connectors/platforms.ts';
import type { StoredToken } from '../../crawler/connectors/types.ts';
import { AppError, ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../lib/errors.ts';
import { findShopIdsWithCredentials, saveShopCredentials, saveShopToken, type ShopCredentials } from '../../models/shop-credentials.ts';
import { findShop, findShopOrFail, insertShop, listShops, updateShop, type ShopPatch } from '../../models/shops.ts';
import type { ApiContext, ApiDeps, ApiRouter } from '../context.ts';
import { presentShop } from '../present.ts';
import { foundOrFail } from '../../models/db.ts';
import { fieldIssuesOf, shopBodySchemas } from '../schemas.ts';
import { pathId } from './params.ts';
import { answerDeletion } from './deletions.ts';

/** The credential check is a person waiting on a form: a slow login answer is an outage, not a wait. */
const CREDENTIAL_CHECK_TIMEOUT_MS = 10_000;

/** Any object: the shop's platform checks what is in it (checkCredentialFields). */
const anyCredentials = z.record(z.string(), z.unknown());

/**
 * Shop credential CRUD. Credentials are write-only: they are checked with the platform (bol
 * must hand out a token for them), sealed with the secrets key, and never answered back.
 */
export function shopRoutes(router: ApiRouter, deps: ApiDeps): void {
  const platforms = deps.platforms ?? platformsFromEnv();
  const bodies = shopBodySchemas(platforms.names(), anyCredentials);

  router.get('/shops', async (ctx) => {
    const shops = await listShops(deps.knex);
    const withCredentials = await findShopIdsWithCredentials(deps.knex, shops.map((s) => s.id));
    ctx.body = { data: shops.map((s) => presentShop(s, withCredentials.has(Number(s.id)))) };
  });

  router.post('/shops', async (ctx) => {
    const raw = ctx.request.body as { platform?: unknown } | undefined;
    const platform = typeof raw?.platform === 'string' ? platforms.get(raw.platform) : undefined;
    const { body, credentials } = parseShopBody(bodies.create, ctx.request.body, platform);
    const token = await checkCredentials(ctx, platform!, credentials!);
    const id = await deps.knex.transaction(async (trx) => {
      const shopId = await insertShop(trx, { name: body.name, platform: body.platform, sync_interval_minutes: body.sync_interval_minutes ?? 15 });
      await saveShopCredentials(trx, deps.secretBox, shopId, credentials!);
      // The token we just got is good for minutes: the first sync page uses it instead of asking
      // the platform again (bol blocks clients that ask for tokens too often).
      if (token) await saveShopToken(trx, deps.secretBox, shopId, token);
      return shopId;
    });
    ctx.status = 201;
    ctx.set('Location', `/shops/${id}`);
    ctx.body = await loadPresentedShop(deps, id);
  });

  router.get('/shops/:id', async (ctx) => {
    ctx.body = await loadPresentedShop(deps, pathId(ctx));
  });

  router.patch('/shops/:id', async (ctx) => {
    const id = pathId(ctx);
    // The credentials' schema is the shop's platform's, so the shop is read first; a bad body is
    // still one 400 naming every problem, before a 404.
    const found = await findShop(deps.knex, id);
    const { body, credentials: checked } = parseShopBody(bodies.update, ctx.request.body, found ? platforms.get(found.platform) : undefined);
    const shop = foundOrFail(found, 'shop', id);
    if (shop.status === 'deleting') throw new ConflictError('shop_being_deleted', 'This shop is being deleted; it takes no changes.', { shop_id: id, status: shop.status });
    if (shop.status === 'credentials_refused' && body.status !== undefined && body.credentials === undefined) {
      throw new ConflictError(
        'credentials_refused',
        `${shop.platform} refused this shop's credentials${shop.status_reason ? ` (${shop.status_reason})` : ''}; send new "credentials" to change its status.`,
        { shop_id: id, status: shop.status },
      );
    }
    let replaced: { credentials: ShopCredentials; token: StoredToken | null } | undefined;
    if (body.credentials) {
      const platform = platforms.get(shop.platform);
      if (!platform || !checked) throw new ValidationError([{ field: 'credentials', reason: `cannot be checked: this server does not connect ${shop.platform} shops` }]);
      replaced = { credentials: checked, token: await checkCredentials(ctx, platform, checked) };
    }
    await deps.knex.transaction(async (trx) => {
      const patch: ShopPatch = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.sync_interval_minutes !== undefined) patch.sync_interval_minutes = body.sync_interval_minutes;
      // Accepted credentials clear a refusal; an explicit status in the same request wins.
      if (replaced) Object.assign(patch, { status: 'active', status_reason: null });
      if (body.status !== undefined) Object.assign(patch, { status: body.status, status_reason: null });
      // Patching first also tells whether the shop still exists (deleted since we read it).
      if (!(await updateShop(trx, id, patch))) throw new NotFoundError('shop', id);
      if (replaced) {
        await saveShopCredentials(trx, deps.secretBox, id, replaced.credentials);
        if (replaced.token) await saveShopToken(trx, deps.secretBox, id, replaced.token);
      }
    });
    ctx.body = await loadPresentedShop(deps, id);
  });

  // Its shipments go in batches on the workers (the shop row last, taking its credentials and
  // sync runs with it): 202 with the deletion to follow; the shop reads `deleting` until then.
  router.delete('/shops/:id', async (ctx) => {
    const id = pathId(ctx);
    await findShopOrFail(deps.knex, id);
    await answerDeletion(ctx, deps, { target: 'shop', shopId: id });
  });
}

async function loadPresentedShop(deps: ApiDeps, id: number) {
  const shop = await findShopOrFail(deps.knex, id);
  const withCredentials = await findShopIdsWithCredentials(deps.knex, [id]);
  return presentShop(shop, withCredentials.has(id));
}

/**
 * A shop body with its credentials checked against its platform's schema, every problem of both
 * in one 400 (an unknown platform is the `platform` field's problem alone).
 */
function parseShopBody<S extends ZodTypeAny>(schema: S, value: unknown, platform: ConfiguredPlatform | undefined): { body: z.output<S>; credentials: ShopCredentials | undefined } {
  const parsed = schema.safeParse(value);
  const issues = parsed.success ? [] : fieldIssuesOf(parsed.error);
  const raw = (value as { credentials?: unknown } | null | undefined)?.credentials;
  let credentials: ShopCredentials | undefined;
  if (platform && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const checked = checkCredentialFields(platform, raw);
    if (Array.isArray(checked)) issues.push(...checked);
    else credentials = checked;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { body: parsed.data as z.output<S>, credentials };
}

/** The credentials as their platform's schema reads them, or the problems, named `credentials.<field>`. */
function checkCredentialFields(platform: ConfiguredPlatform, raw: unknown): ShopCredentials | FieldIssue[] {
  const checked = z.object({ credentials: platform.connector.credentials as ZodTypeAny }).safeParse({ credentials: raw });
  return checked.success ? (checked.data.credentials as ShopCredentials) : fieldIssuesOf(checked.error);
}

/**
 * Proves the credentials with the platform (bol must hand out a token for them). A refusal is
 * the client's to fix (422, from the connector); an unreachable platform is nobody's fault yet
 * (503, try again).
 */
async function checkCredentials(ctx: ApiContext, platform: ConfiguredPlatform, credentials: ShopCredentials): Promise<StoredToken | null> {
  const { connector, settings } = platform;
  try {
    return await connector.checkCredentials(settings, credentials, { timeoutMs: CREDENTIAL_CHECK_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof AppError && err.code === 'credentials_refused') throw err;
    // Only the message: the error's cause chain holds the HTTP request, credentials included.
    ctx.state.log.warn({ platform: connector.name, error: err instanceof Error ? err.message : String(err) }, 'platform unreachable during the credential check');
    throw new AppError('provider_unavailable', `${connector.name} could not be reached to check the credentials; try again.`, { status: 503, expose: true });
  }
}
