/**
 * JWT verification against a real local JWKS server and real RSA signatures:
 * every rejection reason, the attacks a key-by-reference design invites, and
 * the JWKS cache / refetch behaviour.
 */
import { test, describe, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHmac, createPublicKey } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { createJwtVerifier, type JwtVerifierOptions } from "../lib/core/identity/jwt.ts";
import type { JwtConfig } from "../lib/core/config/load.ts";
import {
  IdentityProviderUnavailable,
  JwksNoMatchingKey,
  JwksRefetchDeferred,
  JwtAlgorithmNotAllowed,
  JwtAudienceInvalid,
  JwtClaimMissing,
  JwtExpired,
  JwtIssuerInvalid,
  JwtMalformed,
  JwtNotSigned,
  JwtNotYetValid,
  JwtSignatureInvalid,
  JwtSubInvalid,
  Misconfigured,
} from "../lib/core/errors/index.ts";
import { captureLogs } from "./support/log-capture.ts";

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const nowS = () => Math.floor(Date.now() / 1000);

function rejectsWith(code: string, reason?: string) {
  return (e: unknown) => {
    const err = e as { code?: string; reason?: string };
    assert.equal(err.code, code);
    if (reason) assert.equal(err.reason, reason);
    return true;
  };
}

let issuer: DevIssuer;
let attacker: DevIssuer;

before(async () => {
  issuer = await startDevIssuer();
  attacker = await startDevIssuer();
});
after(async () => {
  await issuer.close();
  await attacker.close();
});

function config(over: Partial<JwtConfig> = {}): JwtConfig {
  return { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: [issuer.audience], algorithms: ["RS256"], ...over };
}
const verifier = (over: Partial<JwtConfig> = {}, opts: JwtVerifierOptions = {}) => createJwtVerifier(config(over), opts);

describe("accepts", () => {
  test("an Auth0-shaped token from the JWKS", async () => {
    const token = issuer.mint({ sub: "auth0|abc123", claims: { azp: "client-1", scope: "openid" } });
    const v = await verifier().verify(token);
    assert.equal(v.sub, "auth0|abc123");
    assert.equal(typeof v.exp, "number");
    assert.equal(v.claims.azp, "client-1");
  });

  test("any one of several audiences, and an aud array containing one", async () => {
    const v = verifier({ audiences: ["https://other/api", "client-id-123"] });
    assert.equal((await v.verify(issuer.mint({ sub: "a", aud: "client-id-123" }))).sub, "a");
    assert.equal((await v.verify(issuer.mint({ sub: "b", aud: ["x", "https://other/api"] }))).sub, "b");
  });

  test("a PEM public key without fetching any JWKS", async () => {
    issuer.resetJwksFetches();
    const v = createJwtVerifier({ issuer: issuer.issuer, publicKeyPem: issuer.currentKey.publicKeyPem, audiences: [issuer.audience], algorithms: ["RS256"] });
    assert.equal((await v.verify(issuer.mint({ sub: "pem-user" }))).sub, "pem-user");
    assert.equal(issuer.jwksFetches, 0);
  });

  test("exp a little in the past, within the clock tolerance", async () => {
    const token = issuer.mint({ sub: "a", exp: nowS() - 2 });
    assert.equal((await verifier().verify(token)).sub, "a");
  });
});

describe("rejects with a typed reason", () => {
  test("expired", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", iat: nowS() - 7200, exp: nowS() - 60 })), rejectsWith(JwtExpired.code, "expired"));
  });
  test("not yet valid (nbf honoured)", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", nbf: nowS() + 600 })), rejectsWith(JwtNotYetValid.code, "not_yet_valid"));
  });
  test("wrong issuer", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", iss: "https://evil.example/" })), rejectsWith(JwtIssuerInvalid.code, "wrong_issuer"));
  });
  test("issuer without Auth0's trailing slash is a different issuer", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", iss: issuer.issuer.slice(0, -1) })), rejectsWith(JwtIssuerInvalid.code));
  });
  test("wrong audience", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", aud: "https://someone-else/api" })), rejectsWith(JwtAudienceInvalid.code, "wrong_audience"));
  });
  test("bad signature: signed by another key under a trusted kid", async () => {
    const other = issuer.createKey();
    const token = issuer.mint({ sub: "a", key: other, kid: issuer.currentKey.kid });
    await assert.rejects(verifier().verify(token), rejectsWith(JwtSignatureInvalid.code, "bad_signature"));
  });
  test("bad signature: payload tampered with", async () => {
    const [h, , s] = issuer.mint({ sub: "auth0|victim" }).split(".");
    const forged = `${h}.${b64({ iss: issuer.issuer, aud: issuer.audience, sub: "auth0|admin", exp: nowS() + 600 })}.${s}`;
    await assert.rejects(verifier().verify(forged), rejectsWith(JwtSignatureInvalid.code, "bad_signature"));
  });
  test("malformed inputs", async () => {
    const v = verifier();
    for (const bad of ["", "a.b", "a.b.c.d", "!!!.@@@.###", `${b64("x")}.${b64({})}.x`, `${b64({ kid: "k" })}.${b64({})}.x`]) {
      await assert.rejects(v.verify(bad), rejectsWith(JwtMalformed.code, "malformed"), `input ${JSON.stringify(bad)}`);
    }
  });
  test("missing sub, missing exp", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", claims: { sub: undefined } })), rejectsWith(JwtClaimMissing.code, "malformed"));
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", claims: { exp: undefined } })), rejectsWith(JwtClaimMissing.code, "malformed"));
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", claims: { sub: 42 } })), rejectsWith(JwtClaimMissing.code));
  });
  test("an empty signed sub is missing; one too long, or holding an invisible character, is ERR_JWT_SUB_INVALID", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "" })), (e: unknown) => {
      assert.ok(e instanceof JwtClaimMissing);
      assert.equal(e.claim, "sub");
      return true;
    });
    const refused: [string, string][] = [
      ["too_long", "x".repeat(256)],
      ...[
        // C0, DEL, C1 (NEL), the line and paragraph separators
        "\n", "\u0000", "\u001f", "\u007f", "\u0085", "\u009f", "\u2028", "\u2029",
        // bidi controls: embeddings and overrides, isolates, marks, the Arabic letter mark
        "\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c",
        // zero-width space, non-joiner, joiner, word joiner, BOM; an unpaired surrogate
        "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ud800",
      ].map((c): [string, string] => ["invisible_character", `auth0|adm${c}in`]),
    ];
    for (const [problem, sub] of refused) {
      await assert.rejects(verifier().verify(issuer.mint({ sub })), (e: unknown) => {
        assert.ok(e instanceof JwtSubInvalid, JSON.stringify(sub));
        assert.equal(e.code, "ERR_JWT_SUB_INVALID");
        assert.equal(e.reason, "malformed");
        assert.equal(e.problem, problem, JSON.stringify(sub));
        return true;
      });
    }
    // Ids as identity providers issue them, in any script, are accepted as they are.
    for (const sub of ["x".repeat(255), "auth0|5f1c2d3e", "google-oauth2|1234567890", "samlp|Acme|zoë.ünal@example.com", "line|Ｕ山田", "waad|😀"]) {
      assert.equal((await verifier().verify(issuer.mint({ sub }))).sub, sub);
    }
  });
  test("an encrypted (JWE) or opaque token is named for what it is, with the Auth0 fix", async () => {
    const jwe = `${b64({ alg: "dir", enc: "A256GCM" })}..${b64("iv")}.${b64("ciphertext")}.${b64("tag")}`;
    for (const [token, kind] of [[jwe, "encrypted"], ["8f9a7c0d1e2b3a4c5d6e7f8091a2b3c4", "opaque"]] as const) {
      await assert.rejects(verifier().verify(token), (e: unknown) => {
        assert.ok(e instanceof JwtNotSigned);
        assert.equal(e.kind, kind);
        assert.equal(e.code, "ERR_JWT_NOT_SIGNED");
        assert.match(e.message, /not a signed JWT.*AUTH0_AUDIENCE/);
        return true;
      });
    }
  });
  test("wrong issuer and audience carry what was expected and what the signed token said", async () => {
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", iss: issuer.issuer.replace(/\/$/, "") })), (e: unknown) => {
      assert.ok(e instanceof JwtIssuerInvalid);
      assert.deepEqual(e.mismatch, { expected: issuer.issuer, received: issuer.issuer.replace(/\/$/, "") });
      return true;
    });
    await assert.rejects(verifier().verify(issuer.mint({ sub: "a", aud: "https://other.example/api" })), (e: unknown) => {
      assert.ok(e instanceof JwtAudienceInvalid);
      assert.deepEqual(e.mismatch, { expected: [issuer.audience], received: "https://other.example/api" });
      return true;
    });
  });
});

describe("refuses the classic attacks", () => {
  test("alg none", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: issuer.issuer, aud: issuer.audience, sub: "a", exp: nowS() + 600 })}.`;
    await assert.rejects(verifier().verify(token), rejectsWith(JwtAlgorithmNotAllowed.code));
  });

  test("HS256 signed with the public key as the HMAC secret (JWKS and PEM modes)", async () => {
    const pem = issuer.currentKey.publicKeyPem;
    const signingInput = `${b64({ alg: "HS256", typ: "JWT", kid: issuer.currentKey.kid })}.${b64({ iss: issuer.issuer, aud: issuer.audience, sub: "a", exp: nowS() + 600 })}`;
    const token = `${signingInput}.${createHmac("sha256", pem).update(signingInput).digest("base64url")}`;
    await assert.rejects(verifier().verify(token), rejectsWith(JwtAlgorithmNotAllowed.code));
    const pemVerifier = createJwtVerifier({ issuer: issuer.issuer, publicKeyPem: pem, audiences: [issuer.audience], algorithms: ["RS256"] });
    await assert.rejects(pemVerifier.verify(token), rejectsWith(JwtAlgorithmNotAllowed.code));
  });

  test("a key published for RS256 cannot verify another allowed algorithm", async () => {
    const token = issuer.mint({ sub: "a", algorithm: "RS384" });
    await assert.rejects(verifier({ algorithms: ["RS256", "RS384"] }).verify(token), rejectsWith(JwtAlgorithmNotAllowed.code));
    await assert.rejects(verifier().verify(token), rejectsWith(JwtAlgorithmNotAllowed.code));
  });

  test("an embedded jwk header is not trusted", async () => {
    const evil = issuer.createKey("evil");
    const jwk = { ...(createPublicKey(evil.publicKeyPem).export({ format: "jwk" }) as object), kid: "evil" };
    const token = issuer.mint({ sub: "auth0|admin", key: evil, header: { jwk } });
    await assert.rejects(verifier().verify(token), rejectsWith(JwksNoMatchingKey.code, "bad_signature"));
    const underTrustedKid = issuer.mint({ sub: "auth0|admin", key: evil, kid: issuer.currentKey.kid, header: { jwk } });
    await assert.rejects(verifier().verify(underTrustedKid), rejectsWith(JwtSignatureInvalid.code));
  });

  test("jku / x5u pointing at an attacker's JWKS are never fetched", async () => {
    attacker.resetJwksFetches();
    const token = attacker.mint({
      sub: "auth0|admin",
      iss: issuer.issuer,
      aud: issuer.audience,
      header: { jku: attacker.jwksUri, x5u: attacker.jwksUri },
    });
    await assert.rejects(verifier().verify(token), rejectsWith(JwksNoMatchingKey.code));
    assert.equal(attacker.jwksFetches, 0);
  });
});

describe("JWKS cache and refetch", () => {
  test("a known kid is fetched once, then served from the cache", async () => {
    const v = verifier();
    issuer.resetJwksFetches();
    for (let i = 0; i < 5; i++) await v.verify(issuer.mint({ sub: `u${i}` }));
    assert.equal(issuer.jwksFetches, 1);
  });

  test("concurrent first verifications share one fetch", async () => {
    const v = verifier();
    issuer.resetJwksFetches();
    await Promise.all(Array.from({ length: 20 }, (_, i) => v.verify(issuer.mint({ sub: `c${i}` }))));
    assert.equal(issuer.jwksFetches, 1);
  });

  test("rotation: a token with a new kid verifies after exactly one refetch", async () => {
    const v = verifier();
    await v.verify(issuer.mint({ sub: "before" }));
    issuer.resetJwksFetches();
    issuer.rotate();
    assert.equal((await v.verify(issuer.mint({ sub: "after" }))).sub, "after");
    assert.equal(issuer.jwksFetches, 1);
    await v.verify(issuer.mint({ sub: "after-again" }));
    assert.equal(issuer.jwksFetches, 1);
  });

  test("a flood of unknown kids causes at most jwksRequestsPerMinute fetches; refused lookups are 503, not 401", async () => {
    const perMinute = 3;
    const v = verifier({}, { jwksRequestsPerMinute: perMinute });
    await v.verify(issuer.mint({ sub: "warm" })); // a cold start's fetch spends none of the budget
    issuer.resetJwksFetches();
    const unpublished = issuer.createKey();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => v.verify(issuer.mint({ sub: "x", key: unpublished, kid: `unknown-${i}` }))),
    );
    // Concurrent lookups share one refetch; one after another, they spend the rest.
    for (let i = 0; i < 5; i++) {
      results.push(...(await Promise.allSettled([v.verify(issuer.mint({ sub: "x", key: unpublished, kid: `later-${i}` }))])));
    }
    const codes = results.map((r) => (r.status === "rejected" ? (r.reason as { code: string }).code : "verified"));
    // A kid that a fresh key set lacks is the token's fault (401); one that could not be
    // looked up yet is "try again later" (503 with Retry-After): it may be a rotated key.
    for (const c of codes) assert.ok(c === JwksNoMatchingKey.code || c === JwksRefetchDeferred.code, c);
    assert.ok(codes.includes(JwksRefetchDeferred.code));
    for (const r of results) {
      if (r.status === "rejected" && r.reason instanceof JwksRefetchDeferred) assert.ok(r.reason.retryAfterSeconds >= 1);
    }
    assert.ok(issuer.jwksFetches <= perMinute, `fetched ${issuer.jwksFetches} times`);
    // The flood does not evict the cached good key.
    const before = issuer.jwksFetches;
    assert.equal((await v.verify(issuer.mint({ sub: "still-fine" }))).sub, "still-fine");
    assert.equal(issuer.jwksFetches, before);
  });
});

describe("JWKS refetch budget", () => {
  test("a key rotated in before a flood's refetch verifies even with the budget spent", async () => {
    const v = verifier({}, { jwksRequestsPerMinute: 1 });
    await v.verify(issuer.mint({ sub: "warm" })); // a cold start's fetch spends none of the budget
    issuer.rotate();
    issuer.resetJwksFetches();
    const junk = issuer.createKey();
    const flood = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => v.verify(issuer.mint({ sub: "x", key: junk, kid: `junk-${i}` }))));
    assert.ok(flood.every((r) => r.status === "rejected"));
    assert.equal(issuer.jwksFetches, 1, "the flood got exactly the one refetch left");
    assert.equal((await v.verify(issuer.mint({ sub: "rotated" }))).sub, "rotated");
    assert.equal(issuer.jwksFetches, 1, "the rotated key came with that refetch");
    await assert.rejects(v.verify(issuer.mint({ sub: "x", key: junk, kid: "junk-late" })), rejectsWith(JwksRefetchDeferred.code));
    assert.equal(issuer.jwksFetches, 1, "budget spent: deferred without fetching");
  });
});

describe("identity provider outages", () => {
  // Their own issuer, back up after each test: outages must not leak into other tests.
  let idp: DevIssuer;
  before(async () => {
    idp = await startDevIssuer();
  });
  afterEach(() => idp.setJwksStatus(undefined));
  after(() => idp.close());
  const idpVerifier = (opts: JwtVerifierOptions = {}, over: Partial<JwtConfig> = {}) =>
    createJwtVerifier({ issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256"], ...over }, opts);

  test("JWKS answering 503: unavailable, with the status as the cause, logged once", async () => {
    const logs = captureLogs();
    try {
      const v = idpVerifier();
      idp.setUnavailable(true);
      await assert.rejects(v.verify(idp.mint({ sub: "a" })), (e: unknown) => {
        assert.ok(e instanceof IdentityProviderUnavailable);
        assert.deepEqual(e.cause, { status: 503 });
        return true;
      });
    } finally {
      logs.stop();
    }
    const lines = logs.text().split("\n").filter((l) => l.includes("jwks_fetch_failed"));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"level":"warn".*"jwks_host":"127\.0\.0\.1:\d+","status":503/);
  });

  test("JWKS host refusing connections: the cause is the connection error's code", async () => {
    const gone = await startDevIssuer();
    const jwksUri = gone.jwksUri;
    const token = gone.mint({ sub: "a" });
    await gone.close();
    const v = createJwtVerifier({ issuer: gone.issuer, jwksUri, audiences: [gone.audience], algorithms: ["RS256"] });
    const logs = captureLogs();
    try {
      await assert.rejects(v.verify(token), (e: unknown) => {
        assert.ok(e instanceof IdentityProviderUnavailable);
        assert.deepEqual(e.cause, { code: "ECONNREFUSED" });
        return true;
      });
    } finally {
      logs.stop();
    }
  });

  test("JWKS URL answering 404 is a misconfiguration (naming AUTH0_JWKS_URI), not an outage", async () => {
    const logs = captureLogs();
    try {
      const v = idpVerifier({ jwksFailureBackoffMs: 20 });
      idp.setJwksStatus(404);
      await assert.rejects(v.verify(idp.mint({ sub: "a" })), (e: unknown) => {
        assert.ok(e instanceof Misconfigured);
        assert.match(e.problems.join(), /AUTH0_JWKS_URI.*HTTP 404/);
        return true;
      });
      // Also for a lookup right after it, without another fetch.
      idp.resetJwksFetches();
      await assert.rejects(v.verify(idp.mint({ sub: "b" })), rejectsWith(Misconfigured.code));
      assert.equal(idp.jwksFetches, 0);
      idp.setJwksStatus(429);
      await new Promise((r) => setTimeout(r, 30));
      await assert.rejects(v.verify(idp.mint({ sub: "c" })), rejectsWith(IdentityProviderUnavailable.code), "429 is throttling: transient");
    } finally {
      logs.stop();
    }
    assert.match(logs.text(), /"level":"error","event":"jwks_fetch_failed".*"status":404/);
  });

  test("a JWKS that hangs is a timeout (503); one that redirects is a misconfiguration", async () => {
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => {
      if (req.url === "/moved") res.writeHead(301, { location: idp.jwksUri }).end();
      // Anything else: never answered.
    });
    server.on("connection", (c) => sockets.add(c));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const logs = captureLogs();
    try {
      const config = { issuer: idp.issuer, audiences: [idp.audience], algorithms: ["RS256" as const] };
      const hanging = createJwtVerifier({ ...config, jwksUri: `${base}/hang` }, { jwksTimeoutMs: 200 });
      await assert.rejects(hanging.verify(idp.mint({ sub: "a" })), (e: unknown) => {
        assert.ok(e instanceof IdentityProviderUnavailable);
        assert.deepEqual(e.cause, { code: "timeout" });
        return true;
      });
      const moved = createJwtVerifier({ ...config, jwksUri: `${base}/moved` });
      await assert.rejects(moved.verify(idp.mint({ sub: "a" })), (e: unknown) => {
        assert.ok(e instanceof Misconfigured);
        assert.match(e.problems.join(), /redirects; set AUTH0_JWKS_URI/);
        return true;
      });
    } finally {
      logs.stop();
      for (const c of sockets) c.destroy();
      server.close();
    }
  });

  test("concurrent lookups sharing a failed fetch all get 503, never 401; cached keys keep working", async () => {
    const v = idpVerifier();
    const cachedKid = idp.mint({ sub: "warm" });
    await v.verify(cachedKid);
    idp.rotate();
    idp.setUnavailable(true);
    idp.resetJwksFetches();
    const logs = captureLogs();
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => v.verify(idp.mint({ sub: `u${i}` }))));
    } finally {
      logs.stop();
    }
    assert.equal(idp.jwksFetches, 1, "they shared one fetch");
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.equal((r.reason as { code: string }).code, IdentityProviderUnavailable.code);
    }
    assert.equal((await v.verify(idp.mint({ sub: "old-key", kid: JSON.parse(Buffer.from(cachedKid.split(".")[0]!, "base64url").toString()).kid }))).sub, "old-key");
  });

  test("during the backoff after a failure, new kids get 503 without another fetch", async () => {
    const v = idpVerifier({ jwksFailureBackoffMs: 60_000 });
    await v.verify(idp.mint({ sub: "warm" }));
    idp.rotate();
    idp.setUnavailable(true);
    idp.resetJwksFetches();
    const logs = captureLogs();
    try {
      for (let i = 0; i < 10; i++) await assert.rejects(v.verify(idp.mint({ sub: `u${i}` })), rejectsWith(IdentityProviderUnavailable.code));
    } finally {
      logs.stop();
    }
    assert.equal(idp.jwksFetches, 1);
  });

  test("failed fetches spend no refetch budget: after recovery a rotated-in key verifies at once", async () => {
    const backoff = 20;
    const v = idpVerifier({ jwksRequestsPerMinute: 2, jwksFailureBackoffMs: backoff });
    await v.verify(idp.mint({ sub: "warm" })); // budget 2 → 1
    idp.rotate();
    idp.setUnavailable(true);
    idp.resetJwksFetches();
    const logs = captureLogs();
    try {
      for (let i = 0; i < 5; i++) {
        // The pause doubles with each failure in a row.
        await new Promise((r) => setTimeout(r, backoff * 2 ** i + 5));
        await assert.rejects(v.verify(idp.mint({ sub: `down${i}` })), rejectsWith(IdentityProviderUnavailable.code), `attempt ${i}`);
      }
    } finally {
      logs.stop();
    }
    assert.equal(idp.jwksFetches, 5, "one fetch per backoff, more than the budget");
    idp.setUnavailable(false);
    await new Promise((r) => setTimeout(r, backoff * 2 ** 5 + 5));
    assert.equal((await v.verify(idp.mint({ sub: "back" }))).sub, "back");
    assert.equal(idp.jwksFetches, 6);
  });
});

describe("bounded waits and fetch rates", () => {
  test("a request that joins a fetch in flight stops waiting at its own deadline", async () => {
    const sockets = new Set<Socket>();
    const server = createServer(() => undefined); // never answers
    server.on("connection", (c) => sockets.add(c));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const logs = captureLogs();
    try {
      const v = createJwtVerifier(
        { issuer: issuer.issuer, jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, audiences: [issuer.audience], algorithms: ["RS256"] },
        { jwksTimeoutMs: 5000 },
      );
      const first = v.verify(issuer.mint({ sub: "a" })); // starts the fetch, may wait 5 s
      const started = Date.now();
      await assert.rejects(v.verify(issuer.mint({ sub: "b" }), { timeoutMs: 200 }), (e: unknown) => {
        assert.ok(e instanceof IdentityProviderUnavailable);
        // Its own deadline, not the identity provider's failure: the fetch goes on for others.
        assert.deepEqual(e.cause, { code: "request_deadline" });
        return true;
      });
      assert.ok(Date.now() - started < 2000, "the joiner kept its own deadline");
      await assert.rejects(first, rejectsWith(IdentityProviderUnavailable.code));
    } finally {
      logs.stop();
      for (const c of sockets) c.destroy();
      server.close();
    }
  });

  test("during an outage the pause between fetches doubles: about as many fetches a minute as the budget", async () => {
    const idp = await startDevIssuer();
    let clockMs = Date.now();
    const logs = captureLogs();
    try {
      const v = createJwtVerifier(
        { issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256"] },
        { now: () => clockMs },
      );
      idp.setUnavailable(true);
      idp.resetJwksFetches();
      // A request a second for a minute, each with a kid never seen.
      for (let i = 0; i < 60; i++) {
        await assert.rejects(v.verify(idp.mint({ sub: "x", kid: `k${i}` })), rejectsWith(IdentityProviderUnavailable.code));
        clockMs += 1000;
      }
      // Fetches at 0, 1, 3, 7, 15 and 31 s: the pause doubles from 1 s.
      assert.equal(idp.jwksFetches, 6);
    } finally {
      logs.stop();
      await idp.close();
    }
  });

  test("a JWKS answer over 256 KB is refused unread as the identity provider's failure", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [], pad: "x".repeat(300 * 1024) }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const logs = captureLogs();
    try {
      const v = createJwtVerifier({
        issuer: issuer.issuer,
        jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
        audiences: [issuer.audience],
        algorithms: ["RS256"],
      });
      await assert.rejects(v.verify(issuer.mint({ sub: "a" })), (e: unknown) => {
        assert.ok(e instanceof IdentityProviderUnavailable);
        assert.deepEqual(e.cause, { code: "too_large" });
        return true;
      });
    } finally {
      logs.stop();
      server.close();
    }
  });
});

describe("which keys count", () => {
  test("a key's published alg still binds it after the fetch that brought it is stale", async () => {
    const idp = await startDevIssuer();
    try {
      const second = idp.createKey();
      idp.publish(second);
      const maxAge = 1500;
      const v = createJwtVerifier(
        { issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256", "RS384"] },
        { keyCacheMaxAgeMs: maxAge },
      );
      const t0 = Date.now();
      await v.verify(idp.mint({ sub: "first" })); // the fetch
      await new Promise((r) => setTimeout(r, t0 + 1200 - Date.now()));
      await v.verify(idp.mint({ sub: "second", key: second })); // a later first use of another key of that fetch
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + maxAge + 80 - Date.now())));
      // Published with alg RS256: an RS384 signature by it is refused, however the key was cached.
      await assert.rejects(v.verify(idp.mint({ sub: "x", key: second, algorithm: "RS384" })), rejectsWith(JwtAlgorithmNotAllowed.code));
    } finally {
      await idp.close();
    }
  });

  test("a JWK that is not a signing key (use: enc, unsupported kty) is no known kid: no refetch bypass", async () => {
    const idp = await startDevIssuer();
    try {
      const enc = idp.createKey("enc-key");
      idp.publishJwk({ ...(enc.publicKey.export({ format: "jwk" }) as Record<string, unknown>), kid: "enc-key", use: "enc", alg: "RSA-OAEP" });
      idp.publishJwk({ kty: "oct", kid: "sym-key", k: "c2VjcmV0" });
      const v = createJwtVerifier(
        { issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256"] },
        { jwksRequestsPerMinute: 1 },
      );
      await v.verify(idp.mint({ sub: "warm" })); // a cold start's fetch spends none of the budget
      idp.resetJwksFetches();
      const notVerified = (e: unknown) => {
        const code = (e as { code?: string }).code;
        assert.ok(code === JwksNoMatchingKey.code || code === JwksRefetchDeferred.code, code);
        return true;
      };
      // The one refetch left shows the kid is not a signing key (401); later ones are deferred.
      await assert.rejects(v.verify(idp.mint({ sub: "x", key: enc })), rejectsWith(JwksNoMatchingKey.code));
      for (let i = 0; i < 10; i++) {
        await assert.rejects(v.verify(idp.mint({ sub: "x", key: enc })), notVerified);
        await assert.rejects(v.verify(idp.mint({ sub: "x", key: enc, kid: "sym-key" })), notVerified);
      }
      assert.ok(idp.jwksFetches <= 1, `fetched ${idp.jwksFetches} times`);
    } finally {
      await idp.close();
    }
  });

  test("a token without a kid: accepted with one signing key, refused as malformed with several", async () => {
    const idp = await startDevIssuer();
    try {
      const make = () => createJwtVerifier({ issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256"] });
      assert.equal((await make().verify(idp.mint({ sub: "one-key", omitKid: true }))).sub, "one-key");
      const first = idp.currentKey;
      idp.rotate();
      const v = make();
      // Signed by either published key: which one is what a kid would have said.
      for (const key of [first, idp.currentKey]) {
        await assert.rejects(v.verify(idp.mint({ sub: "x", key, omitKid: true })), (e: unknown) => {
          assert.ok(e instanceof JwtMalformed);
          assert.equal(e.reason, "malformed");
          assert.match(e.message, /kid is required/);
          return true;
        });
      }
    } finally {
      await idp.close();
    }
  });
});
