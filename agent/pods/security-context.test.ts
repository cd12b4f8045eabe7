import { expect, test } from "bun:test";
import type { Container, Pod } from "../../src/apis/index.ts";
import { seccompFor, supplementalGroups, verifyRunAsNonRoot } from "./security-context.ts";

const pod = (securityContext: object = {}): Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "u" }, spec: { securityContext, containers: [] } }) as Pod;
const ctr = (securityContext?: object): Container => ({ name: "c", image: "i", securityContext }) as Container;

test.each([
  ["unset", pod(), ctr(), undefined],
  ["pod RuntimeDefault", pod({ seccompProfile: { type: "RuntimeDefault" } }), ctr(), { profile_type: "RuntimeDefault" }],
  ["container Unconfined over pod", pod({ seccompProfile: { type: "RuntimeDefault" } }), ctr({ seccompProfile: { type: "Unconfined" } }), { profile_type: "Unconfined" }],
] as const)("seccomp %s", (...[, p, c, want]) => {
  expect(seccompFor(p, c)).toEqual(want);
});

test("a Localhost seccomp profile is refused, not run unconfined", () => {
  expect(() => seccompFor(pod({ seccompProfile: { type: "Localhost", localhostProfile: "x.json" } }), ctr())).toThrow(/Localhost is not supported/);
});

test("fsGroup joins the supplemental groups", () => {
  expect(supplementalGroups(pod({ supplementalGroups: [5, 6], fsGroup: 2000 }))).toEqual([5, 6, 2000]);
  expect(supplementalGroups(pod())).toEqual([]);
});

test.each([
  ["not asked", pod(), ctr(), { uid: { value: "0" } }, undefined],
  ["root image", pod({ runAsNonRoot: true }), ctr(), { uid: { value: "0" } }, 'container has runAsNonRoot and image will run as root (pod: "p_ns(u)", container: c)'],
  ["image without user", pod({ runAsNonRoot: true }), ctr(), { uid: null, username: "" }, "container has runAsNonRoot and image will run as root"],
  ["named image user", pod({ runAsNonRoot: true }), ctr(), { uid: null, username: "app" }, "image has non-numeric user (app)"],
  ["runAsUser 0", pod({ runAsNonRoot: true }), ctr({ runAsUser: 0 }), { uid: { value: "1000" } }, "container's runAsUser breaks non-root policy"],
  ["runAsUser 1000 on a root image", pod({ runAsNonRoot: true, runAsUser: 1000 }), ctr(), { uid: { value: "0" } }, undefined],
  ["non-root image", pod(), ctr({ runAsNonRoot: true }), { uid: { value: "65534" } }, undefined],
] as const)("runAsNonRoot: %s", (...[, p, c, image, want]) => {
  const run = () => verifyRunAsNonRoot(p, c, image);
  if (want === undefined) expect(run).not.toThrow();
  else expect(run).toThrow(want);
});
