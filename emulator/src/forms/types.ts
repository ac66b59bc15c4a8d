// Filled in by the stdlib work; see forms/index.ts.
export {};
