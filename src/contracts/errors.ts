/**
 * The one error a contract rule raises. It names the field, the value and the rule, so every caller
 * (CLI → exit 2, HTTP route → 400, library → thrown) can explain a rejection the same way.
 *
 * Bounded whatever the input: a file of 100,000 bad lines, or one line of a megabyte, must not turn
 * into megabytes of error. Each value keeps its first MAX_VALUE_CHARS characters (and says how long
 * it was); the message names the first MAX_ISSUES_SHOWN issues and counts the rest. `issues` keeps
 * every issue, for callers that want them all (the CLI's --json).
 */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[]) {
    const bounded = issues.map((i) => ({ ...i, value: boundValue(i.value) }));
    super(summarizeIssues(bounded, "; "));
    this.issues = bounded;
  }
}

export interface InputIssue {
  /** The field as the user knows it: `bdns`, `documentId`, `from`, `dataset`, `bdns (line 3 of f)`… */
  field: string;
  /** The value that was rejected, as given (cut to MAX_VALUE_CHARS; never a secret: contracts hold none). */
  value: unknown;
  /** The rule it broke, in words. */
  rule: string;
}

export const MAX_VALUE_CHARS = 60;
export const MAX_ISSUES_SHOWN = 10;

export function formatIssue(issue: InputIssue): string {
  return `${issue.field}: ${JSON.stringify(issue.value)} ${issue.rule}`;
}

/** The first MAX_ISSUES_SHOWN issues joined by `separator`, then how many more there are. */
export function summarizeIssues(issues: readonly InputIssue[], separator: string): string {
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map(formatIssue);
  const more = issues.length - shown.length;
  return [...shown, ...(more > 0 ? [`… and ${more} more problems`] : [])].join(separator);
}

function boundValue(value: unknown): unknown {
  if (typeof value !== "string" || value.length <= MAX_VALUE_CHARS) return value;
  return `${value.slice(0, MAX_VALUE_CHARS)}… (${value.length} characters)`;
}
