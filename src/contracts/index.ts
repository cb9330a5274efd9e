/** The contracts, whole: rules, schemas, builders and the SDK event types. */
export * from "./errors.js";
export * from "./rules.js";
export * from "./schemas.js";
export * from "./build.js";
export * from "./sync-requests.js";
export * from "./events.js";
