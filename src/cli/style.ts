/**
 * The four colors the CLI prints, rendered exactly as chalk 5 renders them (test/cli/style.test.ts
 * holds them to chalk): every command starts faster without loading chalk, its color detection
 * (`node:tty`, `node:os`) and its hundred styles, for four SGR pairs whose level Output already decides.
 */
export type StyleName = "green" | "yellow" | "red" | "dim";
export type Style = Record<StyleName, (text: string) => string>;

const CODES: Record<StyleName, [open: number, close: number]> = { green: [32, 39], yellow: [33, 39], red: [31, 39], dim: [2, 22] };

/** Level 0: text as it is; any other level: the same 16-color codes (chalk's levels differ only for RGB). */
export function styles(level: 0 | 1 | 2 | 3): Style {
  const entries = Object.entries(CODES).map(([name, [open, close]]) => [name, level === 0 ? (s: string) => s : paint(`\u001b[${open}m`, `\u001b[${close}m`)]);
  return Object.fromEntries(entries) as Style;
}

function paint(open: string, close: string) {
  return (text: string): string => {
    if (!text) return text;
    // Text already holding this style's close code would lose the color after it: re-open it there.
    let s = text.includes("\u001b") ? text.split(close).join(close + open) : text;
    // Close before each line break and re-open after it, so the color never bleeds into the next line.
    if (s.includes("\n")) s = s.replace(/\r?\n/g, (lf) => close + lf + open);
    return open + s + close;
  };
}
