// fauna-token-exchange/client: the types of fauna-token-exchange-client, re-exported (see client.js).
export * from "fauna-token-exchange-client";
