/** Every error lib/ throws, from one place: the base, the caller's failures, the service's. */
export * from "./base.ts";
export * from "./caller.ts";
export * from "./service.ts";
