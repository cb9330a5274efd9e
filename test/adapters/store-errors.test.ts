/** What an error from opening the store means to the CLI: configuration (78), unavailable (69), or unknown (a bug). */
import { describe, expect, it } from "vitest";
import { classifyStoreOpenError } from "../../src/adapters/store/errors.js";

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
};

describe("classifyStoreOpenError", () => {
  it("a DATABASE_URL that is not a valid URL (port 99999) is configuration, not a bug", () => {
    const err = thrown(() => new URL("postgres://ops:secret@db:99999/ayida"));
    expect(classifyStoreOpenError(err, "PostgreSQL")).toMatchObject({ reason: "config", message: expect.stringContaining("cannot use the store at PostgreSQL") });
  });

  it("a refused connection is unavailable; an unknown error is left to be reported as a bug", () => {
    expect(classifyStoreOpenError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "db:5432/ayida")).toMatchObject({ reason: "unavailable" });
    expect(classifyStoreOpenError(new Error("something else"), "x")).toBeUndefined();
  });
});
