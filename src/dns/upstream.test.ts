import { expect, test } from "bun:test";
import { upstreamFromResolvConf } from "./upstream.ts";

test.each([
  ["the first nameserver", "search example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n", [], "192.0.2.53"],
  ["skips the cluster DNS itself", "nameserver 10.43.0.10\nnameserver 192.0.2.54\n", ["10.43.0.10"], "192.0.2.54"],
  ["ignores comments and options", "# nameserver 1.1.1.1\noptions ndots:5\n  nameserver\t127.0.0.53\n", [], "127.0.0.53"],
  ["none", "search x\n", [], undefined],
])("resolv.conf: %s", (_name, text, exclude, want) => {
  expect(upstreamFromResolvConf(text, exclude)?.hostname).toBe(want);
});
