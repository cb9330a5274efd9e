/** The test terminal (test/support/screen.ts) itself: what the tty tests conclude rests on it. */
import { describe, expect, it } from "vitest";
import { Screen } from "../support/screen.js";

describe("Screen", () => {
  it("wraps at the width, moves up with CSI F and erases below with CSI 0 J: an in-place redraw", () => {
    const s = new Screen(10, 5);
    s.write("abcdefghijklm\nsecond\n");
    expect(s.lines()).toEqual(["abcdefghij", "klm", "second"]);
    s.write("\u001b[2F\u001b[0Jnew\n");
    expect(s.lines()).toEqual(["abcdefghij", "new"]);
  });

  it("counts rows pushed off the top; CSI H + CSI 2 J clears and starts at the top; colors are ignored", () => {
    const s = new Screen(10, 2);
    s.write("1\n2\n3\n");
    expect(s.scrolled).toBe(2);
    s.write("\u001b[H\u001b[2J\u001b[33mx\u001b[0m\n");
    expect(s.lines()).toEqual(["x"]);
    s.resize(3);
    s.write("abcd");
    expect(s.lines()).toEqual(["abc", "d"]); // "x" scrolled off: two rows
    expect(s.scrolled).toBe(3);
  });
});
