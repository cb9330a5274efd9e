/** The CLI's four colors render byte for byte as chalk 5 renders them, whatever the text holds. */
import { Chalk } from "chalk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { styles, type StyleName } from "../../src/cli/style.js";

const NAMES: StyleName[] = ["green", "yellow", "red", "dim"];
// Text as it reaches a style: messages with line breaks (LF, CRLF) and text that is already colored.
const piece = fc.constantFrom("a", "error:", " ", "\n", "\r\n", "\r", "", "\u001b[39m", "\u001b[22m", "\u001b[32m", "\u001b[2m", "é", "hint: x");
const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));

describe("styles", () => {
  it("equal chalk's at every level, for any text", () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3), fc.constantFrom(...NAMES), text, (level, name, s) => {
        expect(styles(level as 0 | 1 | 2 | 3)[name](s)).toBe(new Chalk({ level: level as 0 | 1 | 2 | 3 })[name](s));
      }),
      { numRuns: 2000 },
    );
  });

  it("nested: a colored part inside another color", () => {
    for (const level of [1, 3] as const) {
      const ours = styles(level);
      const chalk = new Chalk({ level });
      expect(ours.red(`a ${ours.green("b")} c\nd`)).toBe(chalk.red(`a ${chalk.green("b")} c\nd`));
      expect(ours.dim(`fix: ${ours.dim("x")}`)).toBe(chalk.dim(`fix: ${chalk.dim("x")}`));
    }
  });

  it("are plain functions (callers keep them apart from the object: doctor's paint table)", () => {
    const { green } = styles(1);
    expect(green("ok")).toBe("\u001b[32mok\u001b[39m");
    expect(styles(0).green("ok")).toBe("ok");
  });
});
