import { expect, test } from "bun:test";
import { serverURLs } from "./server-list.ts";

test("the kubernetes endpoints give one URL per server address and port", () => {
  expect(
    serverURLs({
      subsets: [
        { addresses: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }], ports: [{ name: "https", port: 6443 }] },
        { addresses: [{ ip: "fd00::1" }], ports: [{ name: "https", port: 7443 }] },
        { addresses: [{ ip: "10.0.0.9" }] },
      ],
    }),
  ).toEqual(["https://10.0.0.1:6443", "https://10.0.0.2:6443", "https://[fd00::1]:7443"]);
  expect(serverURLs({})).toEqual([]);
});

test("kubun agent --server given more than once: the first joins, the others are fallbacks", async () => {
  const { parseAgentArgs } = await import("./command.ts");
  const opts = parseAgentArgs(["--server", "https://a:6443", "--server", "https://b:6443", "--token", "t", "--data-dir", "/tmp/x"]);
  expect(opts.server).toBe("https://a:6443");
  expect(opts.fallbackServers).toEqual(["https://b:6443"]);
  expect(parseAgentArgs(["--server", "https://a:6443", "--token", "t"]).fallbackServers).toBeUndefined();
});
