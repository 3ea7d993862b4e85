import type { ImportType } from '../../models/imports.ts';

/**
 * The columns each import type reads, found in the header by name whatever its case, spacing or
 * punctuation, and by the aliases real files use: the Zywa reports write `ID` and `ID `, `User
 * Mobile` and `User contact`, and only two of them have a `Comment` (shared/data/README.md).
 */
export interface ColumnSpec {
  name: string;
  aliases: string[];
  required: boolean;
}

export const IMPORT_COLUMNS: Record<ImportType, ColumnSpec[]> = {
  products: [
    { name: 'name', aliases: ['name', 'product name', 'title'], required: true },
    { name: 'sku', aliases: ['sku', 'product sku', 'article number'], required: true },
    { name: 'description', aliases: ['description', 'product description'], required: false },
    { name: 'active', aliases: ['active', 'is active', 'enabled'], required: false },
  ],
  shipments: [
    { name: 'tracking_number', aliases: ['tracking number', 'tracking no', 'tracking', 'tracking code'], required: true },
    { name: 'carrier', aliases: ['carrier', 'courier'], required: false },
    { name: 'sender_address', aliases: ['sender address'], required: false },
    { name: 'receiver_address', aliases: ['receiver address', 'recipient address', 'delivery address'], required: false },
    { name: 'article_name', aliases: ['article name', 'article', 'product name'], required: false },
    { name: 'article_quantity', aliases: ['article quantity', 'quantity', 'qty'], required: false },
    { name: 'article_price', aliases: ['article price', 'price', 'unit price'], required: false },
    { name: 'sku', aliases: ['sku', 'article sku'], required: false },
    { name: 'status', aliases: ['status', 'shipment status'], required: false },
  ],
  status_feed: [
    { name: 'id', aliases: ['id', 'record id'], required: false },
    { name: 'reference', aliases: ['card id', 'card', 'reference', 'order reference'], required: true },
    { name: 'phone', aliases: ['user mobile', 'user contact', 'user phone', 'phone', 'mobile', 'contact'], required: false },
    { name: 'timestamp', aliases: ['timestamp', 'time', 'date', 'event time'], required: true },
    { name: 'comment', aliases: ['comment', 'comments', 'reason', 'remark'], required: false },
  ],
};

/** `ID `, `Card_ID`, `card-id` → `id`, `card id`, `card id`. */
export function normaliseHeaderCell(cell: string): string {
  return cell.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s_\-.]+/g, ' ');
}

export interface ResolvedColumns {
  /** Column name → its index in the row, for the columns the header has. */
  index: Record<string, number>;
  /** Required columns the header lacks, by their canonical name. */
  missing: string[];
}

export function resolveColumns(type: ImportType, header: string[]): ResolvedColumns {
  const normalised = header.map(normaliseHeaderCell);
  const index: Record<string, number> = {};
  const missing: string[] = [];
  for (const spec of IMPORT_COLUMNS[type]) {
    const at = normalised.findIndex((h) => spec.aliases.includes(h));
    if (at >= 0) index[spec.name] = at;
    else if (spec.required) missing.push(spec.name);
  }
  return { index, missing };
}

/** The reason a header is refused, or null when it has every required column. */
export function headerProblem(type: ImportType, header: string[] | null): string | null {
  if (header === null || header.every((c) => c.trim() === '')) return 'the file is empty: it needs a header row and at least one row';
  const { missing } = resolveColumns(type, header);
  if (missing.length === 0) return null;
  return `the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (it has: ${header.map((h) => `"${h}"`).join(', ')})`;
}

/** A cell by column name, trimmed; '' when the column or the cell is absent. */
export function cellOf(cells: string[], cols: ResolvedColumns, name: string): string {
  const at = cols.index[name];
  return at === undefined ? '' : (cells[at] ?? '').trim();
}
