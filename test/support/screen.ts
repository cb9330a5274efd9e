/**
 * A minimal terminal screen, enough to replay what the CLI draws and look at the result the way a
 * person would: printable characters wrap at the width (no reflow when the width changes, as xterm
 * does), \r, \n, and the few control sequences the CLI uses to redraw — cursor to the start of a
 * previous line (CSI n F), home (CSI H), erase below (CSI 0 J) or all (CSI 2 J). Other sequences
 * (colors, cursor visibility) are ignored. Rows pushed off the top are counted: a redraw that
 * miscounts what it drew leaves copies behind and scrolls the screen.
 */
export class Screen {
  private rows: string[][];
  private row = 0;
  private col = 0;
  /** Rows that scrolled off the top since the start. */
  scrolled = 0;

  constructor(
    public width: number,
    readonly height: number,
  ) {
    this.rows = Array.from({ length: height }, () => []);
  }

  /** The terminal was resized: what is on the screen stays where it is (no reflow). */
  resize(width: number): void {
    this.width = width;
    if (this.col >= width) this.col = width - 1;
  }

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\u001b" && text[i + 1] === "[") {
        const m = /^\u001b\[([0-9;?]*)([A-Za-z])/.exec(text.slice(i));
        if (!m) continue;
        i += m[0].length - 1;
        this.control(m[1]!, m[2]!);
      } else if (c === "\r") this.col = 0;
      else if (c === "\n") this.newline();
      else if (c >= " ") this.put(c);
    }
  }

  /** The screen's rows, trailing spaces and empty rows at the end dropped. */
  lines(): string[] {
    const out = this.rows.map((r) => r.join("").replace(/\s+$/, ""));
    while (out.length && out.at(-1) === "") out.pop();
    return out;
  }

  private put(c: string): void {
    if (this.col >= this.width) {
      this.newline();
      this.col = 0;
    }
    const line = this.rows[this.row]!;
    while (line.length < this.col) line.push(" ");
    line[this.col] = c;
    this.col++;
  }

  private newline(): void {
    if (this.row === this.height - 1) {
      this.rows.shift();
      this.rows.push([]);
      this.scrolled++;
    } else this.row++;
    this.col = 0;
  }

  private control(params: string, final: string): void {
    const n = Number(params || "0");
    if (final === "F") {
      this.row = Math.max(0, this.row - Math.max(1, n));
      this.col = 0;
    } else if (final === "H") {
      this.row = 0;
      this.col = 0;
    } else if (final === "J") {
      if (n === 2) this.rows = Array.from({ length: this.height }, () => []);
      else if (n === 0) {
        this.rows[this.row] = this.rows[this.row]!.slice(0, this.col);
        for (let r = this.row + 1; r < this.height; r++) this.rows[r] = [];
      }
    } else if (final === "K") {
      this.rows[this.row] = this.rows[this.row]!.slice(0, this.col);
    }
  }
}
