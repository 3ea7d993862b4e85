/**
 * Shopify's error bodies. The Admin API runs graphql-ruby, whose validation messages and codes
 * differ from graphql-js's: the common ones are reworded here so a client meets what Shopify
 * sends (`Field 'x' doesn't exist on type 'Order'`, extensions.code `undefinedField`, …).
 */
import type { GraphQLError } from 'graphql';

export const RATE_LIMITS_DOC = 'https://shopify.dev/api/usage/rate-limits';

export const INVALID_TOKEN_BODY = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
export const NOT_FOUND_BODY = { errors: 'Not Found' };
export const MISSING_QUERY_BODY = { errors: { query: 'Required parameter missing or invalid' } };

export interface WireError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** "[Fulfillment!]!" → "Fulfillment" */
const bare = (type: string | undefined) => (type ?? '').replace(/[!\[\]]/g, '');

interface Rewrite {
  pattern: RegExp;
  rewrite(m: RegExpExecArray): { message: string; extensions: Record<string, unknown> };
}

// graphql-js message → graphql-ruby message and code (the patterns read graphql-js's own wording).
const REWRITES: Rewrite[] = [
  {
    pattern: /^Cannot query field "([^"]+)" on type "([^"]+)"\./,
    rewrite: (m) => ({ message: `Field '${m[1]}' doesn't exist on type '${m[2]}'`, extensions: { code: 'undefinedField', typeName: m[2], fieldName: m[1] } }),
  },
  {
    pattern: /^Unknown argument "([^"]+)" on field "[^".]+\.([^"]+)"\./,
    rewrite: (m) => ({
      message: `Field '${m[2]}' doesn't accept argument '${m[1]}'`,
      extensions: { code: 'argumentNotAccepted', name: m[2], typeName: 'Field', argumentName: m[1] },
    }),
  },
  {
    pattern: /^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required, but it was not provided\./,
    rewrite: (m) => ({
      message: `Field '${m[1]}' is missing required arguments: ${m[2]}`,
      extensions: { code: 'missingRequiredArguments', className: 'Field', name: m[1], arguments: m[2] },
    }),
  },
  {
    pattern: /^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields\./,
    rewrite: (m) => ({
      message: `Field must have selections (field '${m[1]}' returns ${bare(m[2])} but has no selections. Did you mean '${m[1]} { ... }'?)`,
      extensions: { code: 'selectionMismatch', nodeName: `field '${m[1]}'`, typeName: bare(m[2]) },
    }),
  },
  {
    pattern: /^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields\./,
    rewrite: (m) => ({
      message: `Selections can't be made on scalars (field '${m[1]}' returns ${bare(m[2])} but has selections [...])`,
      extensions: { code: 'selectionMismatch', nodeName: `field '${m[1]}'`, typeName: bare(m[2]) },
    }),
  },
  {
    pattern: /^Variable "\$([^"]+)" of type "([^"]+)" used in position expecting type "([^"]+)"\./,
    rewrite: (m) => ({
      message: `Type mismatch on variable $${m[1]} and argument (${m[2]} / ${m[3]})`,
      extensions: { code: 'variableMismatch', variableName: m[1], typeName: m[2] },
    }),
  },
  {
    pattern: /^Variable "\$([^"]+)" is not defined/,
    rewrite: (m) => ({ message: `Variable $${m[1]} is used by anonymous query but not declared`, extensions: { code: 'variableNotDefined', variableName: m[1] } }),
  },
  {
    pattern: /^Variable "\$([^"]+)" is never used/,
    rewrite: (m) => ({ message: `Variable $${m[1]} is declared by anonymous query but not used`, extensions: { code: 'variableNotUsed', variableName: m[1] } }),
  },
  {
    pattern: /^Syntax Error: (.*)$/,
    rewrite: (m) => ({ message: `syntax error, ${m[1]}`, extensions: { code: 'syntaxError' } }),
  },
];

/** A graphql-js error in Shopify's wording, with locations and path kept. */
export function toShopifyError(error: GraphQLError): WireError {
  let message = error.message;
  let extensions: Record<string, unknown> | undefined;
  for (const { pattern, rewrite } of REWRITES) {
    const m = pattern.exec(error.message);
    if (m) {
      ({ message, extensions } = rewrite(m));
      break;
    }
  }
  // Shopify's key order: message, locations, path, extensions.
  const out: WireError = { message };
  if (error.locations) out.locations = error.locations.map((l) => ({ line: l.line, column: l.column }));
  if (error.path) out.path = [...error.path];
  if (!extensions && error.extensions && Object.keys(error.extensions).length > 0) extensions = { ...error.extensions };
  if (extensions) out.extensions = extensions;
  return out;
}

export function throttledError(): WireError {
  return { message: 'Throttled', extensions: { code: 'THROTTLED', documentation: RATE_LIMITS_DOC } };
}

export function maxCostExceededError(cost: number, maxCost: number): WireError {
  return {
    message:
      `Query cost is ${cost}, which exceeds the single query max cost limit (${maxCost}).\n\n` +
      'See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n' +
      'cost of a query is calculated.\n\n' +
      'To query larger amounts of data with fewer limits, bulk operations should be used instead.\n' +
      'See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n',
    extensions: { code: 'MAX_COST_EXCEEDED', cost, maxCost, documentation: RATE_LIMITS_DOC },
  };
}

export function internalError(requestId: string): WireError {
  return {
    message: `Internal error. Looks like something went wrong on our end.\nRequest ID: ${requestId} (include this in support requests).`,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  };
}
