/** The public surface of the token exchange library. */
export { loadConfig, loadFaunaConfig, loadDeploySchemaConfig, type Config, type FaunaConfig, type JwtConfig, type Env } from "./core/config/load.ts";
export { createFaunaClient, mapFaunaError, ABORT_REASONS, FAUNA_ERROR, type FaunaErrorContext } from "./core/fauna/failures.ts";
export { DeadlineClient, queryWithDeadline, DEFAULT_QUERY_TIMEOUT_MS } from "./core/fauna/client.ts";
export { createJwtVerifier, type JwtVerifier, type VerifiedJwt } from "./core/identity/jwt.ts";
export {
  createTokenExchange,
  exchangeJwtForSecret,
  exchangeQuery,
  type ExchangeOptions,
  type ExchangeResult,
  type TokenExchange,
} from "./core/exchange/exchange.ts";
export { computeExpiry } from "./core/exchange/exchange.ts";
export { createHttpHandler, handlerFromEnv, type FetchHandler } from "./http/token-handler.ts";
export { cleanupHandlerFromEnv } from "./http/cleanup-handler.ts";
export { requireCronSecret } from "./http/cron-auth.ts";
export { deploySchema, schemaDefinition, type DeployReport, type SchemaOptions } from "./core/schema/deploy.ts";
export { userRoleDefinition, roleDifferences, type RoleDefinition } from "./core/schema/role.ts";
export { log, setLogSink } from "./core/log.ts";
export * from "./core/errors/index.ts";
export { deleteExpiredTokens, cleanupOptionsFromEnv, type CleanupOptions, type CleanupSummary } from "./core/cleanup.ts";
export { revokeToken, revokeUserTokens, revokeSecret } from "./core/revoke.ts";
