// fauna-token-exchange/client: the browser client, kept for existing imports. It is
// the package fauna-token-exchange-client (client/), re-exported: a SPA installs that
// one alone, without this package's server dependencies.
export * from "fauna-token-exchange-client";
