/**
 * The `Response` and `Headers` of http-fetch.ts, for a body already in memory. Node 20's own classes
 * are undici's: touching `Response` or `Headers` loads all of Node's fetch (~20 ms, more than a one-shot
 * `detail` spends on anything else), only to wrap bytes we already hold. These read the same way (the
 * tests compare them with Node's fetch answering the same server): status, statusText, ok, headers
 * (names case-insensitive, sorted), text() and json() (UTF-8, a BOM dropped), arrayBuffer(), bytes(),
 * blob(), body as a stream, clone(), and a body that text()/json()/… read once.
 */

/** Headers as a fetch answer carries them: names lower-cased and sorted, each with its value. */
export class BufferedHeaders implements Iterable<[string, string]> {
  private readonly map = new Map<string, string>();

  constructor(init?: Iterable<readonly [string, string]> | Record<string, string>) {
    for (const [name, value] of pairsOf(init)) this.append(name, value);
  }

  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), normalizeValue(value));
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const prior = this.map.get(key);
    this.map.set(key, prior === undefined ? normalizeValue(value) : `${prior}, ${normalizeValue(value)}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  getSetCookie(): string[] {
    const v = this.map.get("set-cookie");
    return v === undefined ? [] : [v];
  }
  forEach(fn: (value: string, name: string, headers: BufferedHeaders) => void): void {
    for (const [name, value] of this) fn(value, name, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.map.keys()].sort()) yield [name, this.map.get(name)!];
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * A request's headers as `new Headers(init)` would send them — names lower-cased, repeats joined with
 * ", ", values trimmed of surrounding whitespace, in name order — without loading Headers.
 */
export function headerRecord(init: RequestInit["headers"]): Record<string, string> {
  return Object.fromEntries(new BufferedHeaders(init as Iterable<readonly [string, string]> | Record<string, string> | undefined));
}

export class BufferedResponse {
  readonly ok: boolean;
  readonly headers: BufferedHeaders;
  readonly url = "";
  readonly redirected = false;
  readonly type = "default";
  private used = false;

  constructor(
    private readonly content: Buffer | null,
    readonly status: number,
    readonly statusText: string,
    headers: BufferedHeaders,
  ) {
    this.ok = status >= 200 && status <= 299;
    this.headers = headers;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The body as a web stream (built on demand: no caller of ours reads it). */
  get body(): ReadableStream<Uint8Array> | null {
    return this.content === null ? null : (new Blob([this.content]).stream() as ReadableStream<Uint8Array>);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }
  async blob(): Promise<Blob> {
    return new Blob([this.take()], { type: this.headers.get("content-type") ?? "" });
  }
  async text(): Promise<string> {
    return new TextDecoder().decode(this.take()); // UTF-8, a leading BOM dropped, as fetch's text() does
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError("Response.clone: Body has already been consumed.");
    return new BufferedResponse(this.content, this.status, this.statusText, new BufferedHeaders(this.headers));
  }

  /** The body, once: a second read fails as fetch's does. A response without a body reads as empty, again and again. */
  private take(): Buffer {
    if (this.content === null) return Buffer.alloc(0);
    if (this.used) throw new TypeError("Body is unusable: Body has already been read");
    this.used = true;
    return this.content;
  }
}

function pairsOf(init: Iterable<readonly [string, string]> | Record<string, string> | undefined): Iterable<readonly [string, string]> {
  if (!init) return [];
  return typeof (init as Iterable<unknown>)[Symbol.iterator] === "function" ? (init as Iterable<readonly [string, string]>) : Object.entries(init);
}

/** Leading and trailing HTTP whitespace goes, as the Headers class strips it. */
function normalizeValue(value: string): string {
  return String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}
