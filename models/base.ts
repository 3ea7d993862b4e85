import { Model } from 'objection';

/** Timestamps are epoch milliseconds in every dialect (see migrations), set here, not by the database. */
export class BaseModel extends Model {
  created_at?: number;
  updated_at?: number;

  override $beforeInsert(): void {
    const now = Date.now();
    this.created_at ??= now;
    this.updated_at ??= now;
  }

  override $beforeUpdate(): void {
    this.updated_at = Date.now();
  }
}
