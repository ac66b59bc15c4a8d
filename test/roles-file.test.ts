/**
 * `npm run deploy-schema -- --roles FILE`, run as a user runs it: created, then up to date;
 * a changed file is a conflict (exit 1) that lists the differences and changes nothing; a
 * server key is refused before anything is created (exit 4); a bad file is named with its
 * role and field (exit 2), and so is a role over a collection that does not exist. And the
 * format's checks, one by one.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { runScript } from "./support/processes.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";
import { RolesFileInvalid } from "../lib/core/errors/index.ts";
import { markedBlock } from "./support/manual.ts";

const q = faunadb.query;
const run = (args: string[], env: Record<string, string>) => runScript("scripts/deploy-schema.ts", args, env);
const ISSUER = "https://example.eu.auth0.com/";

const rolesFile = (contains: string) =>
  JSON.stringify({
    roles: [
      {
        name: "orders_reader",
        members: { collection: "users", issuer: ISSUER, claim: "permissions", contains },
        privileges: [
          { resource: { collection: "orders" }, actions: { read: true } },
          { resource: { index: "orders_by_owner" }, actions: { read: true } },
        ],
      },
    ],
  });

describe("npm run deploy-schema -- --roles FILE", () => {
  let target: FaunaTarget;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    target = await startTarget();
    dir = await mkdtemp(join(tmpdir(), "fte-roles-"));
    env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.adminSecret };
    const admin = target.client();
    await admin.query(q.CreateCollection({ name: "orders" }));
    await admin.query(q.CreateIndex({ name: "orders_by_owner", source: q.Collection("orders"), terms: [{ field: ["data", "owner"] }] }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await target.close();
  });

  test("twice: created, then up to date; a changed file: conflict, its differences listed, nothing changed", async () => {
    const file = join(dir, "roles.json");
    await writeFile(file, rolesFile("read:orders"));
    const serverOnly = await run(["--with-users", "--roles", file], { ...env, FAUNA_SECRET: target.serverSecret });
    assert.equal(serverOnly.code, 4, serverOnly.stderr);
    assert.match(serverOnly.stderr, /^deploy-schema: ERR_FAUNA_SECRET_REFUSED: --roles creates a role, which needs an admin key: FAUNA_SECRET is not one/);

    const first = await run(["--with-users", "--roles", file], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^created +role orders_reader$/m);
    const second = await run(["--with-users", "--roles", file, "--json"], env);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { changed: boolean; existing: string[] };
    assert.equal(report.changed, false);
    assert.ok(report.existing.includes("role orders_reader"));
    const text = await run(["--roles", file], env);
    assert.match(text.stdout, /^exists +role orders_reader$/m);
    assert.match(text.stdout, /Schema up to date: nothing changed\./);

    const admin = target.client();
    const before = await admin.query<{ ts: number }>(q.Get(q.Role("orders_reader")));
    await writeFile(file, rolesFile("read:all-orders"));
    const changed = await run(["--roles", file], env);
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stderr, /^deploy-schema: ERR_SCHEMA_CONFLICT: role orders_reader already exists with a different definition; nothing was changed$/m);
    assert.match(changed.stderr, /^ {2}orders_reader: membership is \[collections\/users when Query\(.*"read:orders".*\)\], expected \[collections\/users when Query\(.*"read:all-orders".*\)\]$/m);
    assert.match(changed.stderr, /never changes an existing role/);
    assert.equal((await admin.query<{ ts: number }>(q.Get(q.Role("orders_reader")))).ts, before.ts);
  });

  test("a bad file exits 2 naming the file, the role and the field, every problem at once; nothing is sent", async () => {
    const file = join(dir, "bad.json");
    await writeFile(
      file,
      JSON.stringify({
        roles: [
          { name: "admin", members: { issuer: ISSUER, claim: "permissions" }, privileges: [{ resource: { collection: "orders" }, actions: { read: "yes" } }] },
          { name: "reports", members: { claim: "permissions", contains: ["a"] }, privileges: [{ resource: { index: "x" }, actions: { write: true } }] },
        ],
      }),
    );
    const bad = await run(["--roles", file, "--json"], env);
    assert.equal(bad.code, 2, bad.stderr);
    const out = JSON.parse(bad.stdout) as { error: { code: string; problems: string[] } };
    assert.equal(out.error.code, "ERR_ROLES_FILE");
    assert.deepEqual(out.error.problems, [
      `${file}: role "admin": name is reserved (admin, server, server-readonly, client, user_self)`,
      `${file}: role "admin": members needs exactly one of "contains" and "equals"`,
      `${file}: role "admin": privileges[0].actions.read must be true or false (a predicate belongs in a role written in FQL)`,
      `${file}: role "reports": members.issuer is required: the issuer whose tokens' claims this role trusts, exactly as in its tokens' iss (e.g. "https://example.eu.auth0.com/"), or an array of them`,
      `${file}: role "reports": members.contains must be a string, a number or a boolean`,
      `${file}: role "reports": privileges[0].actions.write is not an action on a index (read, unrestricted_read, history_read)`,
    ]);
    const missing = await run(["--roles", join(dir, "absent.json")], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^deploy-schema: ERR_ROLES_FILE: .*absent\.json: cannot be read \(ENOENT\)$/m);
  });

  test("a role over a collection that does not exist exits 2 naming it, and creates nothing", async () => {
    const file = join(dir, "ahead.json");
    await writeFile(file, JSON.stringify({ roles: [{ name: "invoices_reader", members: { issuer: ISSUER, claim: "permissions", contains: "read:invoices" }, privileges: [{ resource: { collection: "invoices" }, actions: { read: true } }] }] }));
    const r = await run(["--roles", file], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /role invoices_reader grants on the collection invoices, which does not exist: create it before the role/);
    assert.equal(await target.client().query(q.Exists(q.Role("invoices_reader"))), false);
  });
});

describe("the roles file format", () => {
  const problems = (doc: unknown): string[] => {
    try {
      parseRolesFile(typeof doc === "string" ? doc : JSON.stringify(doc), "r.json", "users");
    } catch (e) {
      assert.ok(e instanceof RolesFileInvalid);
      assert.equal(e.code, "ERR_ROLES_FILE");
      return [...e.problems];
    }
    return assert.fail("expected RolesFileInvalid");
  };
  const ok = { name: "r", members: { issuer: ISSUER, claim: "permissions", contains: "x" }, privileges: [{ resource: { collection: "c" }, actions: { read: true } }] };

  test("the manual's example is a valid roles file (three roles: contains, equals, a path; a collection, an index, a function)", () => {
    const { page, code } = markedBlock("<!-- This roles file is read by test/roles-file.test.ts: keep it valid. -->", "json");
    const roles = parseRolesFile(code, page, "users");
    assert.deepEqual(roles.map((r) => r.name), ["orders_reader", "acme_member", "realm_auditor"]);
    assert.deepEqual(roles.map((r) => r.privileges.map((p) => p.resource)), [[{ collection: "orders" }, { index: "orders_by_owner" }], [{ collection: "acme_documents" }], [{ function: "audit_report" }]]);
  });

  test("the file: JSON, {\"roles\": […]}, not empty, each name once", () => {
    assert.match(problems("{").join(), /^r\.json: not JSON/);
    assert.deepEqual(problems([ok]), ['r.json: must be {"roles": [ … ]} (see docs/roles.md, "Roles from claims")']);
    assert.deepEqual(problems({ roles: [], extra: 1 }), ['r.json: must be {"roles": [ … ]} (see docs/roles.md, "Roles from claims")']);
    assert.deepEqual(problems({ roles: [] }), ["r.json: roles is empty: nothing to deploy"]);
    assert.deepEqual(problems({ roles: [ok, ok] }), ['r.json: role "r": name is given to two roles']);
  });

  test("a role: its fields, typos named; members default to the users collection; a claim may be a path", () => {
    assert.deepEqual(problems({ roles: [{ ...ok, nmae: "x" }] }), ['r.json: role "r": nmae is not a field (the fields are name, members, privileges)']);
    assert.deepEqual(problems({ roles: [{ ...ok, name: "9lives" }] }), ['r.json: role "9lives": name must be the name of the role (letters, digits and _, not starting with a digit)']);
    assert.deepEqual(problems({ roles: [{ ...ok, members: { issuer: ISSUER, claim: "p", contains: "x", equals: "y", colection: "u" } }] }), [
      'r.json: role "r": members.colection is not a field (the fields are collection, issuer, claim, contains, equals)',
      'r.json: role "r": members needs exactly one of "contains" and "equals"',
    ]);
    assert.deepEqual(problems({ roles: [{ ...ok, members: { issuer: ISSUER, claim: [], equals: 1 } }] }), [
      'r.json: role "r": members.claim must be a TOKEN_CLAIMS name, or a path into one such as ["realm_access", "roles"]',
    ]);
    // The issuer is required (deploy-schema cannot know which issuers the exchange trusts): a URL, or a non-empty array of them.
    for (const issuer of [undefined, "", "example.auth0.com", [], [ISSUER, 7], "https://a.example/ x"]) {
      const expected = `members.issuer ${issuer === undefined ? "is required: " : "must be "}the issuer whose tokens' claims this role trusts`;
      assert.match(problems({ roles: [{ ...ok, members: { issuer, claim: "p", contains: "x" } }] }).join(), new RegExp(expected), JSON.stringify(issuer));
    }
    assert.deepEqual(problems({ roles: [{ ...ok, privileges: [] }] }), ['r.json: role "r": privileges must be a non-empty array']);
    assert.deepEqual(problems({ roles: [{ ...ok, privileges: [{ resource: { collection: "c", index: "i" }, actions: { read: true } }] }] }), [
      'r.json: role "r": privileges[0].resource must name one collection, index or function: {"collection": "orders"}',
    ]);
    assert.deepEqual(problems({ roles: [{ ...ok, privileges: [{ resource: { function: "f" }, actions: { read: true } }] }] }), [
      'r.json: role "r": privileges[0].actions.read is not an action on a function (call)',
    ]);
    assert.deepEqual(problems({ roles: ["r"] }), ['r.json: roles[0]: must be an object: {"name", "members", "privileges"}']);

    const [role] = parseRolesFile(JSON.stringify({ roles: [{ ...ok, members: { issuer: [ISSUER, "https://b.example/"], claim: ["realm_access", "roles"], equals: true } }] }), "r.json", "members");
    assert.deepEqual(role!.membership, ["members"]);
    assert.match(JSON.stringify(role!.membershipPredicate), /"select":\["data","issuer"\]/);
    assert.match(JSON.stringify(role!.membershipPredicate), /\["https:\/\/example\.eu\.auth0\.com\/","https:\/\/b\.example\/"\]/);
    assert.match(JSON.stringify(role!.membershipPredicate), /"select":\["data","claims","realm_access","roles"\]/);
    assert.match(JSON.stringify(role!.membershipPredicate), /"has_current_token"/);
  });
});
