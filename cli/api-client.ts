/** A small client of shipsync's own HTTP API, for the CLI and the demo. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Reads `GET /syncs/:id/events` and calls `onProgress` for each update until `done`. */
  followSyncRun(id: number, onProgress: (run: SyncRunView) => void): Promise<SyncRunView> {
    return this.followEvents(`/syncs/${id}/events`, onProgress);
  }

  /** Reads a progress stream (Server-Sent Events: `progress`… then `done`) and returns the final state. */
  async followEvents<V>(path: string, onProgress: (view: V) => void): Promise<V> {
    const res = await fetch(new URL(path, this.baseUrl), { headers: { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new Error(`GET ${path} answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    let last: V | undefined;
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!data) continue;
        last = JSON.parse(data) as V;
        onProgress(last);
        if (event === 'done') return last;
      }
    }
    if (!last) throw new Error('The event stream ended before any progress');
    return last;
  }

}

export interface SyncRunView {
  id: number;
  shop_id: number;
  type: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  pages_fetched: number;
  records_upserted: number;
  requests_made: number;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}
