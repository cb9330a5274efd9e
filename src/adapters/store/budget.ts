/**
 * The deployment's BDNS request budget, kept where the deployment already shares state: one row that
 * says when the next request may start. Reserving a slot is one atomic statement, timed by the
 * database's clock, so processes on machines with skewed clocks still agree:
 *
 *   next_at := max(min(next_at, now + MAX_AHEAD), now + lead) + length   → the slot is next_at − length
 *
 * - PostgreSQL: the table `bdns_budget` (migration 0005), on a connection of its own: a reservation
 *   never queues behind the store's pool, busy with 10,000-row pages.
 * - SQLite: a file beside the database (`<file>.budget`). SQLite has one writer per file, and storing a
 *   10,000-row page holds the main file's write lock for ~100 ms, which a reservation would wait out
 *   with the event loop blocked (better-sqlite3 is synchronous). Beside it, a reservation takes
 *   microseconds. Nothing in it needs to survive a crash (the clock decides), so it is not synced.
 *   Its sharers are the processes of one machine, so its clock is the machine's monotonic clock, passed
 *   in: exact to the microsecond and blind to wall-clock steps (SQLite's own 'now' has 1 ms resolution).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseDatabaseUrl } from "../../config/database-url.js";

export interface Reservation {
  /** When the slot begins, in ms of the budget's clock (PostgreSQL's epoch time; the machine's monotonic clock for SQLite). */
  slotMs: number;
  /** The budget's clock when it was reserved. */
  nowMs: number;
}

export interface SlotStore {
  readonly dialect: "sqlite" | "postgres";
  /** Where the budget lives, without credentials. */
  readonly location: string;
  /** Opens the connection (or file) if it is not open: the slow part, timed apart from a reservation. */
  connect(): Promise<void>;
  /** Reserves the next slot of `lengthMs`, at least `leadMs` from the budget clock's now. */
  reserve(lengthMs: number, leadMs: number): Promise<Reservation>;
  /**
   * Moves a slot that came too late to be used to `leadMs` from now, if nobody reserved after it (the
   * row still ends where that slot ended): a late process alone loses nothing. `undefined` otherwise.
   */
  retake(slotEndMs: number, lengthMs: number, leadMs: number): Promise<Reservation | undefined>;
  /**
   * Says this process shares the budget (its id, seen now) and returns every sharer seen within
   * `ttlMs`, this one included, by id: the order in which they take turns when none can reach the
   * store. Forgets sharers not seen for a day.
   */
  heartbeat(id: string, ttlMs: number): Promise<{ sharers: string[]; nowMs: number }>;
  /** This process stops sharing (a clean shutdown): the others count one fewer at their next heartbeat. */
  leave(id: string): Promise<void>;
  /** Drops the connection after it failed; the next reservation opens a new one. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A slot further ahead than this is a clock that stepped back (each process holds one reservation at
 * a time, so a real queue is processes × 1/rate long, ~1 s for ten): the row is pulled back to now.
 */
const MAX_AHEAD_MS = 30_000;
export const BUDGET_ROW = "bdns";
/** Sharers not seen for this long are deleted (their process is long gone). */
const FORGET_SHARERS_MS = 86_400_000;

/**
 * PostgreSQL bounds every budget statement itself: a reservation takes a few ms, so one that waits on
 * a lock (a session holding the row: `SELECT … FOR UPDATE`, a long transaction) gives up after
 * LOCK_TIMEOUT_MS, and any that runs away after STATEMENT_TIMEOUT_MS. The connection is then free
 * again — the process falls back meanwhile, and never opens a second connection while the first is
 * still waiting (one budget connection per process, whatever the lock does).
 */
export const BUDGET_LOCK_TIMEOUT_MS = 250;
export const BUDGET_STATEMENT_TIMEOUT_MS = 1_000;

export function openBudgetStore(databaseUrl: string | undefined): SlotStore {
  const target = parseDatabaseUrl(databaseUrl);
  return target.dialect === "postgres" ? new PostgresSlots(target.url) : new SqliteSlots(`${target.file}.budget`);
}

class SqliteSlots implements SlotStore {
  readonly dialect = "sqlite";
  private db: import("better-sqlite3").Database | undefined;
  private statement: import("better-sqlite3").Statement | undefined;
  private opening: Promise<void> | undefined;

  constructor(readonly location: string) {}

  async connect(): Promise<void> {
    if (!this.statement) await this.open();
  }

  async reserve(lengthMs: number, leadMs: number): Promise<Reservation> {
    if (!this.statement) await this.open();
    // CLOCK_MONOTONIC, the same for every process of the machine (performance.now() is it minus the
    // process's start), read inside the same synchronous call as the statement.
    const now = Number(process.hrtime.bigint()) / 1e6;
    const row = this.statement!.get({ now, length: lengthMs, lead: leadMs, maxAhead: MAX_AHEAD_MS, id: BUDGET_ROW }) as { slot: number } | undefined;
    if (!row) throw new Error(`the budget row is missing from ${this.location}`);
    return { slotMs: row.slot, nowMs: now };
  }

  async retake(slotEndMs: number, lengthMs: number, leadMs: number): Promise<Reservation | undefined> {
    if (!this.db) return undefined;
    const now = Number(process.hrtime.bigint()) / 1e6;
    const r = this.db.prepare("UPDATE bdns_budget SET next_at = :now + :lead + :length WHERE id = :id AND next_at = :end").run({ now, lead: leadMs, length: lengthMs, id: BUDGET_ROW, end: slotEndMs });
    return r.changes === 1 ? { slotMs: now + leadMs, nowMs: now } : undefined;
  }

  async heartbeat(id: string, ttlMs: number): Promise<{ sharers: string[]; nowMs: number }> {
    if (!this.db) await this.open();
    const now = Number(process.hrtime.bigint()) / 1e6;
    const db = this.db!;
    const rows = db.transaction(() => {
      db.prepare("INSERT INTO bdns_budget_sharers (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at").run(id, now);
      db.prepare("DELETE FROM bdns_budget_sharers WHERE seen_at < ?").run(now - FORGET_SHARERS_MS);
      return db.prepare("SELECT id FROM bdns_budget_sharers WHERE seen_at >= ? ORDER BY id").all(now - ttlMs) as Array<{ id: string }>;
    })();
    return { sharers: rows.map((r) => r.id), nowMs: now };
  }

  async leave(id: string): Promise<void> {
    this.db?.prepare("DELETE FROM bdns_budget_sharers WHERE id = ?").run(id);
  }

  /** Opened once, whoever asks first (the heartbeat and a reservation may ask at the same moment). */
  private open(): Promise<void> {
    this.opening ??= this.openFile().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  private async openFile(): Promise<void> {
    const { default: SQLite } = await import("better-sqlite3");
    mkdirSync(dirname(this.location), { recursive: true });
    const db = new SQLite(this.location);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = OFF");
      // Another process's reservation holds the lock for microseconds; longer is a store in trouble,
      // and the event loop is blocked meanwhile: fail fast and fall back.
      db.pragma("busy_timeout = 50");
      db.exec(`CREATE TABLE IF NOT EXISTS bdns_budget (id TEXT PRIMARY KEY, next_at REAL NOT NULL);
               INSERT OR IGNORE INTO bdns_budget (id, next_at) VALUES ('${BUDGET_ROW}', 0);
               CREATE TABLE IF NOT EXISTS bdns_budget_sharers (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);`);
      this.statement = db.prepare(
        `UPDATE bdns_budget SET next_at = max(min(next_at, :now + :maxAhead), :now + :lead) + :length
         WHERE id = :id RETURNING next_at - :length AS slot`,
      );
      this.db = db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  reset(): void {
    this.db?.close();
    this.db = this.statement = this.opening = undefined;
  }

  async close(): Promise<void> {
    this.reset();
  }
}

class PostgresSlots implements SlotStore {
  readonly dialect = "postgres";
  readonly location: string;
  private client: Promise<import("pg").Client> | undefined;

  constructor(private readonly url: string) {
    const u = new URL(url);
    this.location = `${u.host}${u.pathname}`;
  }

  async connect(): Promise<void> {
    await (this.client ??= this.open());
  }

  async reserve(lengthMs: number, leadMs: number): Promise<Reservation> {
    const client = await (this.client ??= this.open());
    // clock_timestamp(), not now(): now() is the transaction's start, and this must be the real time.
    const r = await client.query<{ slot: number; now: number }>({
      name: "bdns-budget-reserve",
      text: `WITH c AS (SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now)
             UPDATE bdns_budget b SET next_at = greatest(least(b.next_at, c.now + $3::float8), c.now + $2::float8) + $1::float8
             FROM c WHERE b.id = $4 RETURNING b.next_at - $1::float8 AS slot, c.now AS now`,
      values: [lengthMs, leadMs, MAX_AHEAD_MS, BUDGET_ROW],
    });
    const row = r.rows[0];
    if (!row) throw new Error(`the budget row is missing from ${this.location}`);
    return { slotMs: row.slot, nowMs: row.now };
  }

  async retake(slotEndMs: number, lengthMs: number, leadMs: number): Promise<Reservation | undefined> {
    const client = await this.client;
    if (!client) return undefined;
    const r = await client.query<{ slot: number; now: number }>({
      name: "bdns-budget-retake",
      text: `WITH c AS (SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now)
             UPDATE bdns_budget b SET next_at = c.now + $2::float8 + $1::float8 FROM c
             WHERE b.id = $4 AND b.next_at = $3::float8 RETURNING b.next_at - $1::float8 AS slot, c.now AS now`,
      values: [lengthMs, leadMs, slotEndMs, BUDGET_ROW],
    });
    const row = r.rows[0];
    return row ? { slotMs: row.slot, nowMs: row.now } : undefined;
  }

  async heartbeat(id: string, ttlMs: number): Promise<{ sharers: string[]; nowMs: number }> {
    const client = await (this.client ??= this.open());
    const r = await client.query<{ id: string; now: number }>({
      name: "bdns-budget-heartbeat",
      text: `WITH c AS (SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now),
             seen AS (INSERT INTO bdns_budget_sharers (id, seen_at) SELECT $1, c.now FROM c ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at),
             gone AS (DELETE FROM bdns_budget_sharers s USING c WHERE s.seen_at < c.now - $3::float8)
             SELECT s.id, c.now FROM bdns_budget_sharers s, c WHERE s.seen_at >= c.now - $2::float8 AND s.id <> $1
             UNION ALL SELECT $1, c.now FROM c ORDER BY 1`,
      values: [id, ttlMs, FORGET_SHARERS_MS],
    });
    return { sharers: r.rows.map((x) => x.id), nowMs: r.rows[0]!.now };
  }

  async leave(id: string): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    await client?.query("DELETE FROM bdns_budget_sharers WHERE id = $1", [id]);
  }

  private async open(): Promise<import("pg").Client> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({
      connectionString: this.url,
      application_name: "ayida-jobs bdns budget",
      connectionTimeoutMillis: 2000,
      lock_timeout: BUDGET_LOCK_TIMEOUT_MS,
      statement_timeout: BUDGET_STATEMENT_TIMEOUT_MS,
    });
    // A lost connection is reported here; without a listener it would end the process.
    client.on("error", () => this.drop(client));
    try {
      await client.connect();
    } catch (err) {
      this.drop(client);
      throw err;
    }
    return client;
  }

  private drop(client: import("pg").Client): void {
    void this.client?.then((c) => c === client && (this.client = undefined), () => undefined);
    void client.end().catch(() => undefined);
  }

  reset(): void {
    const pending = this.client;
    this.client = undefined;
    void pending?.then((c) => c.end().catch(() => undefined), () => undefined);
  }

  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    await pending?.then((c) => c.end(), () => undefined).catch(() => undefined);
  }
}
