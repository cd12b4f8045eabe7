import { expect, test } from "bun:test";
import { alreadyExists, conflict, expired, forbidden, gone, isAlreadyExists, isConflict, isForbidden, isGone, isNotFound, isResourceExpired, isUnauthorized, notFound, unauthorized } from "./errors.ts";

const pods = { resource: "pods" };
const predicates = { isNotFound, isAlreadyExists, isConflict, isForbidden, isUnauthorized, isResourceExpired, isGone };

test.each<[string, unknown, string[]]>([
  ["NotFound", notFound(pods, "p"), ["isNotFound"]],
  ["AlreadyExists, though a 409", alreadyExists(pods, "p"), ["isAlreadyExists"]],
  ["Conflict, though a 409", conflict(pods, "p", "changed"), ["isConflict"]],
  ["Forbidden", forbidden("no"), ["isForbidden"]],
  ["Unauthorized", unauthorized(), ["isUnauthorized"]],
  ["Expired, a 410", expired("too old"), ["isResourceExpired"]],
  ["Gone, a 410", gone("gone"), ["isGone"]],
  ["a bare 404 (a fake, a proxy)", { code: 404 }, ["isNotFound"]],
  ["a bare 409: either of its reasons", Object.assign(new Error("x"), { code: 409 }), ["isAlreadyExists", "isConflict"]],
  ["an unknown reason falls back to the code", { code: 404, reason: "SomethingNew" }, ["isNotFound"]],
  ["a known reason wins over the code", { code: 404, reason: "Forbidden" }, ["isForbidden"]],
  ["not an API error", new Error("boom"), []],
  ["nothing", undefined, []],
])("%s", (_, err, want) => {
  expect(Object.entries(predicates).filter(([, is]) => is(err)).map(([name]) => name)).toEqual(want);
});
