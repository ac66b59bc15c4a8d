/** The public surface of the token exchange library (lib/README.md maps where each part lives). */
export {
  loadConfig,
  loadFaunaConfig,
  loadDeploySchemaConfig,
  loadCleanupConfig,
  loadCronSecret,
  loadLogLevel,
  cleanupOptionsFromEnv,
  type Config,
  type CleanupConfig,
  type FaunaConfig,
  type JwtConfig,
  type Env,
} from "./core/config/load.ts";
export * from "./core/errors/index.ts";
export { log, setLogSink, setLogLevel, type LogThreshold } from "./core/log.ts";
export { PLATFORM_LIMITS_MS, requestBudgets, runBudgets, DEFAULT_QUERY_TIMEOUT_MS } from "./core/budgets.ts";
export { Deadline } from "./core/deadline.ts";
export { mapFaunaError, ABORT_REASONS, FAUNA_ERROR, type FaunaErrorContext } from "./core/fauna/failures.ts";
export { createFaunaClient, DeadlineClient, queryBefore, queryWithDeadline } from "./core/fauna/client.ts";
export { createJwtVerifier, type JwtVerifier, type VerifiedJwt } from "./core/identity/jwt.ts";
export { createIdentityVerifier, type IdentifiedJwt, type IdentityVerifier } from "./core/identity/issuers.ts";
export { createTokenExchange, type ExchangeOptions, type ExchangeResult, type TokenExchange } from "./core/exchange/exchange.ts";
export { exchangeQuery } from "./core/exchange/query.ts";
export { computeExpiry } from "./core/exchange/expiry.ts";
export { deleteExpiredTokens, type CleanupOptions, type CleanupSummary } from "./core/cleanup.ts";
export { revokeToken, revokeUserTokens, revokeSecret } from "./core/revoke.ts";
export { deploySchema, schemaDefinition, type DeployReport, type SchemaOptions } from "./core/schema/deploy.ts";
export { userRoleDefinition, roleDifferences, type RoleDefinition, type RoleResource } from "./core/schema/role.ts";
export { parseRolesFile } from "./core/schema/roles-file.ts";
export { claimMembershipPredicate, claimRoleDefinition, type ClaimRole, type ClaimTest } from "./core/schema/claim-roles.ts";
export { createHttpHandler, createTokenHandler, type FetchHandler } from "./http/token-handler.ts";
export { createCleanupHandler } from "./http/cleanup-handler.ts";
export { handlerFromEnv, cleanupHandlerFromEnv, requireCronSecret } from "./adapters/from-env.ts";
export { netlifyTokenFunction, netlifyCleanupFunction } from "./adapters/netlify.ts";
export { vercelTokenRoutes, vercelCronRoute } from "./adapters/vercel.ts";
export { exchangeJwtForSecret, serveHandler } from "./adapters/node.ts";
