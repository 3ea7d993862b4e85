import { requestBolToken, type StoredToken } from '../../crawler/connectors/bol/token.ts';
import { AppError, AuthError, ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.ts';
import { saveShopCredentials, saveShopToken, type ShopCredentials } from '../../models/shop-credential.ts';
import { findShopOrFail, Shop, type Platform } from '../../models/shop.ts';
import type { ApiDeps } from '../context.ts';
import type { ApiContext, ApiRouter } from '../context.ts';
import { presentShop } from '../present.ts';
import { CreateShopBody, parseRequest, UpdateShopBody } from '../schemas.ts';
import { pathId } from './params.ts';

/** The credential check is a person waiting on a form: a slow login answer is an outage, not a wait. */
const CREDENTIAL_CHECK_TIMEOUT_MS = 10_000;

/**
 * Shop credential CRUD. Credentials are write-only: they are checked with the platform (bol
 * must hand out a token for them), sealed with the secrets key, and never answered back.
 */
export function shopRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.get('/shops', async (ctx) => {
    const shops = await Shop.query(deps.knex).orderBy('id');
    const withCredentials = await shopsWithCredentials(deps, shops.map((s) => s.id));
    ctx.body = { data: shops.map((s) => presentShop(s, withCredentials.has(Number(s.id)))) };
  });

  router.post('/shops', async (ctx) => {
    const body = parseRequest(CreateShopBody, ctx.request.body);
    const token = await checkCredentials(ctx, deps, body.platform, body.credentials);
    const id = await deps.knex.transaction(async (trx) => {
      const shop = await Shop.query(trx).insert({
        name: body.name,
        platform: body.platform,
        status: 'active',
        status_reason: null,
        sync_interval_minutes: body.sync_interval_minutes ?? 15,
        rate_state: null,
        last_synced_at: null,
      });
      await saveShopCredentials(trx, deps.secretBox, shop.id, body.credentials);
      // The token we just got is good for minutes: the first sync page uses it instead of asking
      // bol again (bol blocks clients that ask for tokens too often).
      await saveShopToken(trx, deps.secretBox, shop.id, token);
      return shop.id;
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
    const body = parseRequest(UpdateShopBody, ctx.request.body);
    const shop = await findShopOrFail(deps.knex, id);
    if (shop.status === 'credentials_refused' && body.status !== undefined && body.credentials === undefined) {
      throw new ConflictError(
        'credentials_refused',
        `${shop.platform} refused this shop's credentials${shop.status_reason ? ` (${shop.status_reason})` : ''}; send new "credentials" to change its status.`,
        { shop_id: id, status: shop.status },
      );
    }
    const token = body.credentials ? await checkCredentials(ctx, deps, shop.platform, body.credentials) : null;
    await deps.knex.transaction(async (trx) => {
      const patch: Partial<Pick<Shop, 'name' | 'status' | 'status_reason' | 'sync_interval_minutes'>> = {};
      if (body.name !== undefined) patch.name = body.name;
      if (body.sync_interval_minutes !== undefined) patch.sync_interval_minutes = body.sync_interval_minutes;
      // Accepted credentials clear a refusal; an explicit status in the same request wins.
      if (body.credentials) Object.assign(patch, { status: 'active', status_reason: null });
      if (body.status !== undefined) Object.assign(patch, { status: body.status, status_reason: null });
      // Patching first also tells whether the shop still exists (deleted since we read it).
      const changed = await Shop.query(trx).patch(patch).where('id', id);
      if (changed === 0) throw new NotFoundError('shop', id);
      if (body.credentials && token) {
        await saveShopCredentials(trx, deps.secretBox, id, body.credentials);
        await saveShopToken(trx, deps.secretBox, id, token);
      }
    });
    ctx.body = await loadPresentedShop(deps, id);
  });

  router.delete('/shops/:id', async (ctx) => {
    const id = pathId(ctx);
    // Foreign keys cascade: credentials, sync runs, shipments with their items and events.
    const deleted = await deps.knex('shops').where({ id }).delete();
    if (deleted === 0) throw new NotFoundError('shop', id);
    ctx.status = 204;
  });
}

async function loadPresentedShop(deps: ApiDeps, id: number) {
  const shop = await findShopOrFail(deps.knex, id);
  const withCredentials = await shopsWithCredentials(deps, [id]);
  return presentShop(shop, withCredentials.has(id));
}

async function shopsWithCredentials(deps: ApiDeps, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows: { shop_id: number }[] = await deps.knex('shop_credentials').select('shop_id').whereIn('shop_id', ids);
  return new Set(rows.map((r) => Number(r.shop_id)));
}

/**
 * Asks the platform for a token with these credentials: the only proof they work. A refusal is
 * the client's to fix (422); an unreachable platform is nobody's fault yet (503, try again).
 */
async function checkCredentials(ctx: ApiContext, deps: ApiDeps, platform: Platform, credentials: ShopCredentials): Promise<StoredToken> {
  switch (platform) {
    case 'bol':
      try {
        return await requestBolToken(
          deps.bol.loginUrl,
          { clientId: credentials.client_id, clientSecret: credentials.client_secret },
          { timeoutMs: CREDENTIAL_CHECK_TIMEOUT_MS },
        );
      } catch (err) {
        if (err instanceof AuthError) {
          const provider = (err.details ?? {}) as { provider_status?: number; provider_error?: string | null };
          throw new UnprocessableError(
            'credentials_refused',
            'bol refused this client id and secret. Check them in the bol.com partner platform (Settings > API settings) and send them again.',
            { field: 'credentials', provider_status: provider.provider_status ?? null, provider_error: provider.provider_error ?? null },
          );
        }
        // Only the message: the error's cause chain holds the HTTP request, Basic header included.
        ctx.state.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'bol login unreachable during the credential check');
        throw new AppError('provider_unavailable', 'bol could not be reached to check the credentials; try again.', { status: 503, expose: true });
      }
  }
}
