/** The expiry rule, over many inputs: a secret never outlives its JWT nor the cap. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { computeExpiry, MIN_SECRET_LIFETIME_MS, secondsUntil } from "../lib/core/exchange/exchange.ts";

const NOW = Date.UTC(2026, 0, 1);

test("never later than the JWT's exp or now + cap; null only when too little time is left", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: NOW - 10 * 365 * 86400_000, max: NOW + 10 * 365 * 86400_000 }),
      fc.oneof(fc.integer({ min: -86400, max: 86400 }), fc.double({ min: -1e7, max: 1e7, noNaN: true })),
      fc.integer({ min: 1, max: 366 * 86400 }),
      (nowMs, expOffsetS, maxTtlSeconds) => {
        const jwtExpSeconds = nowMs / 1000 + expOffsetS;
        const e = computeExpiry({ jwtExpSeconds, maxTtlSeconds, nowMs });
        const bound = Math.min(jwtExpSeconds * 1000, nowMs + maxTtlSeconds * 1000);
        if (e === null) {
          assert.ok(bound - nowMs < MIN_SECRET_LIFETIME_MS + 1);
          return;
        }
        assert.ok(e.getTime() <= jwtExpSeconds * 1000, "outlives the JWT");
        assert.ok(e.getTime() <= nowMs + maxTtlSeconds * 1000, "outlives the cap");
        assert.ok(e.getTime() - nowMs >= MIN_SECRET_LIFETIME_MS);
        assert.ok(bound - e.getTime() < 1, "gives away no more than rounding");
        assert.equal(e.toISOString().length, 24);
        const s = secondsUntil(e, nowMs);
        assert.ok(s * 1000 <= e.getTime() - nowMs && e.getTime() - nowMs < (s + 1) * 1000);
      },
    ),
    { numRuns: 5000 },
  );
});

test("worked examples", () => {
  assert.equal(computeExpiry({ jwtExpSeconds: NOW / 1000 + 600, maxTtlSeconds: 3600, nowMs: NOW })!.getTime(), NOW + 600_000);
  assert.equal(computeExpiry({ jwtExpSeconds: NOW / 1000 + 86400, maxTtlSeconds: 3600, nowMs: NOW })!.getTime(), NOW + 3600_000);
  assert.equal(computeExpiry({ jwtExpSeconds: NOW / 1000 - 3, maxTtlSeconds: 3600, nowMs: NOW }), null);
  assert.equal(computeExpiry({ jwtExpSeconds: NOW / 1000 + 0.5, maxTtlSeconds: 3600, nowMs: NOW }), null);
});
