/** The local Inngest Dev Server. Dependency-free, so error messages can use it without loading config. */
export const DEV_SERVER_DEFAULT_PORT = "8288";

/** How to start a Dev Server listening where `url` points. */
export function devServerStartCommand(url: string): string {
  const port = new URL(url).port;
  return `npx inngest-cli@latest dev${port && port !== DEV_SERVER_DEFAULT_PORT ? ` -p ${port}` : ""}`;
}
