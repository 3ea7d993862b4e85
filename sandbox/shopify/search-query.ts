/**
 * Shopify's search syntax for `orders(query:)`, the part a sync uses: `updated_at:>'2026-11-30T10:00:00Z'`,
 * `created_at:<=2026-11-01`, `processed_at:…`, `name:#1001`, `id:>5600…`, terms joined by `AND` or a
 * space. Unknown fields are ignored, as Shopify ignores them (it only adds a search warning).
 */
import type { SandboxOrder } from './records.ts';

type Comparator = ':' | ':>' | ':>=' | ':<' | ':<=';

export interface SearchTerm {
  field: string;
  comparator: Comparator;
  value: string;
}

export class SearchSyntaxError extends Error {}

/** Splits on whitespace outside quotes; keeps quoted parts together with their field. */
function tokens(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of query) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current) out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (quote) throw new SearchSyntaxError(`unterminated quote in query "${query}"`);
  if (current) out.push(current);
  return out;
}

export function parseSearchQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const token of tokens(query)) {
    if (token === 'AND') continue;
    const match = /^([a-z_]+)(:>=|:<=|:>|:<|:)(.*)$/.exec(token);
    if (!match?.[1] || !match[2]) continue; // free text: not used by a sync
    let value = match[3] ?? '';
    if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"'))) value = value.slice(1, -1);
    terms.push({ field: match[1], comparator: match[2] as Comparator, value });
  }
  return terms;
}

/** A date or date-time as an instant range [from, to): a bare date covers its whole UTC day. */
function instantRange(value: string): [number, number] | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const from = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(from) ? undefined : [from, from + 86_400_000];
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  // Shopify compares at whole seconds.
  const second = Math.floor(at / 1000) * 1000;
  return [second, second + 1000];
}

function compareRange(valueMs: number, comparator: Comparator, [from, to]: [number, number]): boolean {
  switch (comparator) {
    case ':>': return valueMs >= to;
    case ':>=': return valueMs >= from;
    case ':<': return valueMs < from;
    case ':<=': return valueMs < to;
    case ':': return valueMs >= from && valueMs < to;
  }
}

function compareNumber(value: number, comparator: Comparator, target: number): boolean {
  switch (comparator) {
    case ':>': return value > target;
    case ':>=': return value >= target;
    case ':<': return value < target;
    case ':<=': return value <= target;
    case ':': return value === target;
  }
}

const TIME_FIELDS: Record<string, (o: SandboxOrder) => number> = {
  updated_at: (o) => o.updatedAtMs,
  created_at: (o) => o.createdAtMs,
  processed_at: (o) => o.processedAtMs,
};

/** A predicate for the orders a query selects (every term must hold). */
export function orderFilter(query: string | null | undefined): ((o: SandboxOrder) => boolean) | undefined {
  if (!query || !query.trim()) return undefined;
  const checks: ((o: SandboxOrder) => boolean)[] = [];
  for (const term of parseSearchQuery(query)) {
    const time = TIME_FIELDS[term.field];
    if (time) {
      const range = instantRange(term.value);
      // An unparsable date matches nothing, as on Shopify.
      if (!range) return () => false;
      checks.push((o) => compareRange(Math.floor(time(o) / 1000) * 1000, term.comparator, range));
    } else if (term.field === 'name') {
      const wanted = term.value.startsWith('#') ? term.value : `#${term.value}`;
      checks.push((o) => o.name === wanted);
    } else if (term.field === 'id') {
      const target = Number(term.value.replace(/^gid:\/\/shopify\/Order\//, ''));
      checks.push((o) => compareNumber(o.legacyId, term.comparator, target));
    }
  }
  return checks.length === 0 ? undefined : (o) => checks.every((check) => check(o));
}
