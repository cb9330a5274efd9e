/** A missing or invalid setting: an env var or an env file. The CLI exits 78 on it. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly key: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
