// claimVolumePath against a fake API and a temporary directory standing in for the node's disk.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/apis/core/persistentvolume.ts";
import type { Pod, Volume } from "../../src/apis/index.ts";
import { claimVolumePath, type ClaimSource } from "./claim-volumes.ts";

const disk = mkdtempSync(join(tmpdir(), "kubun-claims-"));
afterAll(() => rmSync(disk, { recursive: true, force: true }));

const claim = (phase: "Bound" | "Pending"): PersistentVolumeClaim => ({
  metadata: { name: "data", namespace: "ns", uid: "claim-uid" },
  spec: { volumeName: phase === "Bound" ? "pv1" : undefined },
  status: { phase },
});
const volume = (path: string, claimUid = "claim-uid"): PersistentVolume => ({
  metadata: { name: "pv1" },
  spec: { hostPath: { path, type: "DirectoryOrCreate" }, claimRef: { namespace: "ns", name: "data", uid: claimUid } },
});
const source = (pvc: PersistentVolumeClaim | null, pv: PersistentVolume | null): ClaimSource => ({
  persistentVolumeClaim: async () => pvc,
  persistentVolume: async () => pv,
});
const v: Volume = { name: "data", persistentVolumeClaim: { claimName: "data" } };
const pod = (spec: Partial<NonNullable<Pod["spec"]>> = {}): Pod => ({
  metadata: { name: "p", namespace: "ns" },
  spec: { containers: [{ name: "c", volumeMounts: [{ name: "data", mountPath: "/data", subPath: "sub/dir" }] }], ...spec } as Pod["spec"],
});

test.each([
  ["a missing claim", null, null, 'persistentvolumeclaim "data" not found'],
  ["an unbound claim", claim("Pending"), null, 'persistentvolumeclaim "data" is not bound'],
  ["a volume bound to another claim", claim("Bound"), volume("/x", "other"), 'persistentvolume "pv1" is not bound to claim "data"'],
])("%s keeps the pod waiting", async (_what, pvc, pv, message) => {
  await expect(claimVolumePath(pod(), v, source(pvc, pv))).rejects.toThrow(message);
});

test("the volume's directory is made (0777, as k3s's), with the subPaths its mounts name", async () => {
  const path = join(disk, "pvc-1");
  expect(await claimVolumePath(pod(), v, source(claim("Bound"), volume(path)))).toBe(path);
  expect(statSync(path).mode & 0o777).toBe(0o777);
  expect(existsSync(join(path, "sub/dir"))).toBe(true);
});

test("fsGroup gives the volume's files to the group, group-writable, directories setgid", async () => {
  const path = join(disk, "pvc-2");
  await claimVolumePath(pod(), v, source(claim("Bound"), volume(path)));
  writeFileSync(join(path, "f"), "x", { mode: 0o600 });
  await claimVolumePath(pod({ securityContext: { fsGroup: 4321 } }), v, source(claim("Bound"), volume(path)));
  expect(statSync(path).gid).toBe(4321);
  expect(statSync(path).mode & 0o2000).toBe(0o2000);
  expect(statSync(join(path, "f")).gid).toBe(4321);
  expect(statSync(join(path, "f")).mode & 0o060).toBe(0o060);
});
