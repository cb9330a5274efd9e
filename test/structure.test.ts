/**
 * The shape of src/ (TEAM.md, design.md: arrows pointing one way): no two files load each other, over
 * any path. A loop means neither file can be read (or moved) without the other, and which one runs first
 * depends on who imported whom; the one found (metrics/index.ts <-> registry.ts) had a piece that belonged
 * in a third file both could import (metrics/sink.ts). Type-only imports count too: erased at run time,
 * they still tie two files together for whoever reads or moves them (the page writers' row types live in
 * page-rows.ts so that totals.ts and table-writer.ts do not import each other).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

/** Every .ts file under src/, as paths from the repository's root. */
function sourceFiles(dir = join(root, "src")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [relative(root, join(dir, e.name))] : []));
}

/** The files of src/ a file imports: static imports (`import type` too), re-exports and dynamic import(). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]!);
  return specs.map((s) => relative(root, resolve(dirname(join(root, file)), s)).replace(/\.js$/, ".ts"));
}

/** The loops of a graph: each strongly connected component of more than one file (Tarjan). */
function loops(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("the shape of src/", () => {
  it("the loop finder finds a loop (so that the next case can fail)", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(loops(g)).toEqual([["a", "b", "c"]]);
  });

  it("no files load each other, over any path (lazy imports included)", () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    expect(graph.get("src/metrics/index.ts")).toContain("src/metrics/registry.ts"); // lazy import() read too
    expect(loops(graph)).toEqual([]);
  });
});
