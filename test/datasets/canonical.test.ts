/**
 * The canonical form rows are hashed in. Its text must never move between versions: every stored
 * content_hash was made from it, and a different text would report every row of every table changed
 * on the next pass.
 */
import { describe, expect, it } from "vitest";
import { canonicalForm, canonicalHash } from "../../src/datasets/canonical.js";
import { createHash } from "node:crypto";

describe("canonical form", () => {
  it("a flat row: keys sorted, strings trimmed, advertencia and undefined dropped, numbers and nulls as JSON writes them", () => {
    const row = { z: " padded ", id: 7, a: null, advertencia: "aviso", m: true, u: undefined, n: 0.1, e: "", big: 1e21, neg: -0, s: 'quote " back \\ ñ' };
    expect(canonicalForm(row)).toBe('{"a":null,"big":1e+21,"e":"","id":7,"m":true,"n":0.1,"neg":0,"s":"quote \\" back \\\\ ñ","z":"padded"}');
    expect(canonicalHash(row)).toBe(createHash("sha256").update(canonicalForm(row)).digest("hex"));
  });

  it("the same content in another key order, spacing or with a NaN is one text; a nested value goes the generic way", () => {
    expect(canonicalForm({ b: "x ", a: 1 })).toBe(canonicalForm({ a: 1, b: " x" }));
    expect(canonicalForm({ a: NaN, b: Infinity })).toBe('{"a":null,"b":null}');
    expect(canonicalForm({ b: [3, 1, 2], a: { d: " y", c: null } })).toBe('{"a":{"c":null,"d":"y"},"b":[1,2,3]}');
  });

  it("key lists that would read alike when joined stay apart: an empty key is a key, a key with a NUL is one key", () => {
    expect(canonicalForm({})).toBe("{}");
    expect(canonicalForm({ "": 1 })).toBe('{"":1}');
    expect(canonicalForm({ "a\u0000b": 1 })).toBe('{"a\\u0000b":1}');
    expect(canonicalForm({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
    expect(canonicalForm({ "": 1 })).toBe('{"":1}');
  });

  it("rows of one shape one after another, then another shape with the same keys in another order: each its own sorted text", () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `N${i} `, x: i % 2 ? null : i }));
    expect(many.map(canonicalForm)).toEqual(many.map((r) => `{"id":${r.id},"name":"N${r.id}","x":${r.x === null ? "null" : r.x}}`));
    expect(canonicalForm({ x: 1, name: "n", id: 2 })).toBe('{"id":2,"name":"n","x":1}');
    // keys an object literal would reorder or swallow keep their sorted place
    expect(canonicalForm({ b: 1, 10: "x", 2: "y" })).toBe('{"10":"x","2":"y","b":1}');
    expect(canonicalForm(JSON.parse('{"b":1,"__proto__":"p"}'))).toBe('{"__proto__":"p","b":1}');
  });
});
