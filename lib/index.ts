/** The public surface of the token exchange library. */
export { loadConfig, loadFaunaConfig, loadDeploySchemaConfig, type Config, type FaunaConfig, type JwtConfig, type Env } from "./config.ts";
export { createFaunaClient, mapFaunaError, ABORT_REASONS, FAUNA_ERROR, type FaunaErrorContext } from "./fauna.ts";
export { DeadlineClient, FaunaTimeoutError, queryWithDeadline, DEFAULT_QUERY_TIMEOUT_MS } from "./fauna-deadline.ts";
export { createJwtVerifier, type JwtVerifier, type VerifiedJwt } from "./jwt.ts";
export {
  createTokenExchange,
  exchangeJwtForSecret,
  exchangeQuery,
  type ExchangeOptions,
  type ExchangeResult,
  type TokenExchange,
} from "./exchange.ts";
export { computeExpiry } from "./exchange.ts";
export { createHttpHandler, handlerFromEnv, type FetchHandler } from "./http.ts";
export { cleanupHandlerFromEnv } from "./cleanup-handler.ts";
export { requireCronSecret } from "./cron-auth.ts";
export { deploySchema, schemaDefinition, type DeployReport, type SchemaOptions } from "./schema.ts";
export { userRoleDefinition, roleDifferences, type RoleDefinition } from "./role-schema.ts";
export { log, setLogSink } from "./log.ts";
export * from "./errors.ts";
export { deleteExpiredTokens, cleanupOptionsFromEnv, type CleanupOptions, type CleanupSummary } from "./cleanup.ts";
export { revokeToken, revokeUserTokens, revokeSecret, NotATokenSecretError } from "./revoke.ts";
