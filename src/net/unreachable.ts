/**
 * Why a request got no answer, in words an operator can act on: refused, no such host, TLS, timed out,
 * cut off. Shared by the BDNS client (its NETWORK failures, which runs and doctor report) and doctor's
 * own probes, so both name the same cause the same way.
 */
export function whyUnreachable(err: unknown): string {
  // fetch wraps the reason: TypeError("fetch failed", { cause })
  const root = err instanceof TypeError && err.cause ? err.cause : err;
  const e = root as (NodeJS.ErrnoException & { reason?: string }) | undefined;
  const code = e?.code ?? "";
  if (code === "ECONNREFUSED") return "connection refused: nothing listens there";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "no such host";
  if (code === "ECONNRESET") return "the connection was reset";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "the host is unreachable";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "the connection timed out";
  if (root instanceof Error && (root.name === "AbortError" || root.name === "TimeoutError")) return "no answer in time";
  // Certificates (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …) and
  // handshakes that fail (EPROTO: "wrong version number" when https meets a plain http server).
  if (/CERT|TLS|SSL/.test(code) || code === "EPROTO") return `TLS: ${tlsReason(e as Error & { reason?: string })}`;
  return root instanceof Error ? root.message : String(root);
}

/** OpenSSL's reason ("wrong version number") rather than its whole record, which names source files. */
function tlsReason(e: Error & { reason?: string }): string {
  return e.reason ?? /SSL routines:[^:]*:([^:]+):/.exec(e.message)?.[1] ?? e.message.split("\n")[0]!.trim();
}
