import { expect, test } from "bun:test";
import { Expectations } from "./expectations.ts";

test("creations are awaited until observed", () => {
  const e = new Expectations(() => 0);
  expect(e.satisfied("ns/rs")).toBe(true);
  e.expectCreations("ns/rs", 2);
  expect(e.satisfied("ns/rs")).toBe(false);
  e.creationObserved("ns/rs");
  expect(e.satisfied("ns/rs")).toBe(false);
  e.creationObserved("ns/rs");
  expect(e.satisfied("ns/rs")).toBe(true);
});

test("failed creations lower the count", () => {
  const e = new Expectations(() => 0);
  e.expectCreations("k", 4);
  e.lowerCreations("k", 3);
  e.creationObserved("k");
  expect(e.satisfied("k")).toBe(true);
});

test("deletions are tracked by pod key, so a repeat delete event counts once", () => {
  const e = new Expectations(() => 0);
  e.expectDeletions("k", ["ns/a", "ns/b"]);
  e.deletionObserved("k", "ns/a");
  e.deletionObserved("k", "ns/a");
  expect(e.satisfied("k")).toBe(false);
  e.deletionObserved("k", "ns/b");
  expect(e.satisfied("k")).toBe(true);
});

test("expectations never met expire after the TTL", () => {
  let t = 0;
  const e = new Expectations(() => t, 1000);
  e.expectCreations("k", 1);
  t = 1000;
  expect(e.satisfied("k")).toBe(false);
  t = 1001;
  expect(e.satisfied("k")).toBe(true);
});
