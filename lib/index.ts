/** The public surface of the token exchange library. */
export {
  loadConfig,
  loadFaunaConfig,
  loadDeploySchemaConfig,
  loadCleanupConfig,
  cleanupOptionsFromEnv,
  type Config,
  type FaunaConfig,
  type JwtConfig,
  type Env,
} from "./core/config/load.ts";
export { mapFaunaError, ABORT_REASONS, FAUNA_ERROR, type FaunaErrorContext } from "./core/fauna/failures.ts";
export { createFaunaClient, DeadlineClient, queryWithDeadline, DEFAULT_QUERY_TIMEOUT_MS } from "./core/fauna/client.ts";
export { createJwtVerifier, type JwtVerifier, type VerifiedJwt } from "./core/identity/jwt.ts";
export {
  createTokenExchange,
  exchangeQuery,
  type ExchangeOptions,
  type ExchangeResult,
  type TokenExchange,
} from "./core/exchange/exchange.ts";
export { computeExpiry } from "./core/exchange/exchange.ts";
export { createHttpHandler, type FetchHandler } from "./http/token-handler.ts";
export { handlerFromEnv, cleanupHandlerFromEnv, requireCronSecret } from "./adapters/from-env.ts";
export { deploySchema, schemaDefinition, type DeployReport, type SchemaOptions } from "./core/schema/deploy.ts";
export { userRoleDefinition, roleDifferences, type RoleDefinition } from "./core/schema/role.ts";
export { log, setLogSink, setLogLevel } from "./core/log.ts";
export { exchangeJwtForSecret } from "./adapters/node.ts";
export * from "./core/errors/index.ts";
export { deleteExpiredTokens, type CleanupOptions, type CleanupSummary } from "./core/cleanup.ts";
export { revokeToken, revokeUserTokens, revokeSecret } from "./core/revoke.ts";
