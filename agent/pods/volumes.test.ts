import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigMap, Pod, Secret } from "../../src/apis/index.ts";
import type { ObjectSource } from "./env.ts";
import { prepareVolumes, refreshVolumes } from "./volumes.ts";

const root = mkdtempSync(join(tmpdir(), "kubun-volumes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** ConfigMaps and Secrets the test changes between calls. */
function objects() {
  const configMaps = new Map<string, Record<string, string>>();
  const secrets = new Map<string, Record<string, string>>();
  const source: ObjectSource = {
    configMap: async (_ns, name) => (configMaps.has(name) ? ({ metadata: { name }, data: configMaps.get(name) } as ConfigMap) : null),
    secret: async (_ns, name) => (secrets.has(name) ? ({ metadata: { name }, stringData: secrets.get(name) } as Secret) : null),
  };
  return { configMaps, secrets, source };
}

const pod: Pod = {
  metadata: { name: "web", namespace: "ns1", uid: "u1", labels: { app: "web" } },
  spec: {
    containers: [{ name: "c" }],
    volumes: [
      { name: "cfg", configMap: { name: "cm" } },
      { name: "creds", secret: { secretName: "s", items: [{ key: "pw", path: "dir/pw" }] } },
      { name: "all", projected: { sources: [{ configMap: { name: "cm" } }, { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels['app']" } }] } }] } },
      { name: "scratch", emptyDir: {} },
    ],
  },
};

describe("volume refresh", () => {
  test("configMap, secret and projected volumes follow their sources; a failed refresh keeps the old files", async () => {
    const podDir = join(root, "pod");
    const o = objects();
    o.configMaps.set("cm", { greeting: "hello" });
    o.secrets.set("s", { pw: "one" });
    const prepared = await prepareVolumes(pod, podDir, o.source);
    const dir = (name: string) => prepared.get(name)!.hostPath;
    const text = (name: string, path: string) => readFileSync(join(dir(name), path), "utf8");
    expect([text("cfg", "greeting"), text("creds", "dir/pw"), text("all", "greeting"), text("all", "labels")]).toEqual(["hello", "one", "hello", "web"]);
    const firstData = readlinkSync(join(dir("cfg"), "..data"));

    // Nothing changed: nothing rewritten.
    expect(await refreshVolumes(pod, podDir, o.source)).toEqual([]);
    expect(readlinkSync(join(dir("cfg"), "..data"))).toBe(firstData);

    o.configMaps.set("cm", { greeting: "bonjour" });
    o.secrets.set("s", { pw: "two" });
    expect(await refreshVolumes(pod, podDir, o.source)).toEqual([]);
    expect([text("cfg", "greeting"), text("creds", "dir/pw"), text("all", "greeting")]).toEqual(["bonjour", "two", "bonjour"]);
    expect(readlinkSync(join(dir("cfg"), "..data"))).not.toBe(firstData);

    o.secrets.delete("s");
    expect(await refreshVolumes(pod, podDir, o.source)).toEqual(['MountVolume.SetUp failed for volume "creds" : secret "s" not found']);
    expect(text("creds", "dir/pw")).toBe("two");
    expect(existsSync(join(dir("scratch"), "..data"))).toBe(false);
  });
});
