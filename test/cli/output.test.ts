/** The one writer to stdout and stderr, in-process: whatever a message says, no secret gets out. */
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { Output } from "../../src/cli/output.js";

function capture(o: { json?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const output = new Output({ json: o.json ?? false, quiet: false, color: false, debug: false }, { write: (s: string) => out.push(s) }, { write: (s: string) => err.push(s) });
  return { output, out: () => out.join(""), err: () => err.join("") };
}

describe("redaction", () => {
  const KEY = "signkey-prod-0123456789abcdef";
  const EVENT = "evt-key-abcdef0123456789";

  it("every occurrence of every secret, on every line it writes", () => {
    const c = capture();
    c.output.setSecrets([KEY, EVENT]);
    c.output.result(`a ${KEY} b ${KEY} c ${EVENT}${EVENT}`);
    c.output.info(`${KEY}/${KEY}`);
    c.output.warn(`twice: ${EVENT} and ${EVENT}`);
    c.output.error(new CliError(`refused ${KEY}, then ${KEY} again`, { hint: `set ${EVENT} … ${EVENT}` }), {});
    expect(c.out()).toBe("a *** b *** c ******\n");
    for (const text of [c.out(), c.err()]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(EVENT);
    }
    expect(c.err()).toContain("***/***");
    expect(c.err()).toContain("twice: *** and ***");
    expect(c.output.redact(`${KEY}${KEY}${KEY}`)).toBe("*********");
  });

  it("in the JSON document too", () => {
    const c = capture({ json: true });
    c.output.setSecrets([KEY]);
    c.output.json({ a: KEY, b: [KEY, `x${KEY}y`] });
    expect(JSON.parse(c.out())).toEqual({ a: "***", b: ["***", "x***y"] });
  });
});
