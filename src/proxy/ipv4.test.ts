import { expect, test } from "bun:test";
import { clientKey, formatIPv4, parseIPv4 } from "./ipv4.ts";

test.each([
  ["0.0.0.0", 0],
  ["127.0.0.1", 0x7f000001],
  ["10.244.1.2", 0x0af40102],
  ["255.255.255.255", 0xffffffff],
])("parses %s", (s, want) => {
  expect(parseIPv4(s)).toBe(want);
  expect(formatIPv4(want)).toBe(s);
});

test.each(["", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1..2.3", "01.2.3.4", "1.2.3.4 ", "::1", "a.b.c.d", "1.2.3."])(
  "rejects %p",
  (s) => expect(parseIPv4(s)).toBeUndefined(),
);

test("client keys: IPv4 and its mapped form agree, IPv6 addresses differ", () => {
  expect(clientKey("::ffff:10.0.0.1")).toBe(clientKey("10.0.0.1"));
  expect(clientKey("fd00::1")).not.toBe(clientKey("fd00::2"));
  expect(clientKey("fd00::1")).toBe(clientKey("fd00::1"));
});
