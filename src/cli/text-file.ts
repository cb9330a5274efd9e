/**
 * A text file given to the CLI (`--file`), as UTF-8 text, or a usage error that says what it is
 * instead: echoing a binary or UTF-16 file back as "bad codes" only prints garbage.
 */
import { UsageError } from "./errors.js";

export function decodeTextFile(bytes: Buffer, option: string, name: string): string {
  if (looksUtf16(bytes)) throw new UsageError(`${option}: ${name} is UTF-16 text; save it as UTF-8 (one code per line) and run again`);
  if (bytes.includes(0)) throw new UsageError(`${option}: ${name} looks like a binary file, not a list of codes (one per line, UTF-8 text)`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${option}: ${name} is not UTF-8 text; save it as UTF-8 (one code per line) and run again`);
  }
  return text.replace(/^\uFEFF/, ""); // the BOM spreadsheets write
}

/** A UTF-16 BOM, or the NUL byte every other byte that ASCII text has in UTF-16. */
function looksUtf16(bytes: Buffer): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return true;
  const sample = bytes.subarray(0, 4096);
  if (sample.length < 4) return false;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 === 0 ? evenNul++ : oddNul++;
  const half = sample.length / 2;
  return Math.max(evenNul, oddNul) >= half * 0.9 && Math.min(evenNul, oddNul) === 0;
}
