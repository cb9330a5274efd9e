/**
 * The one error a contract rule raises. It names the field, the value and the rule, so every caller
 * (CLI → exit 2, HTTP route → 400, library → thrown) can explain a rejection the same way.
 */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[]) {
    super(issues.map(formatIssue).join("; "));
    this.issues = issues;
  }
}

export interface InputIssue {
  /** The field as the user knows it: `bdns`, `documentId`, `from`, `dataset`, `file:3`… */
  field: string;
  /** The value that was rejected, as given (never a secret: contracts hold no secrets). */
  value: unknown;
  /** The rule it broke, in words. */
  rule: string;
}

export function formatIssue(issue: InputIssue): string {
  return `${issue.field}: ${JSON.stringify(issue.value)} ${issue.rule}`;
}
