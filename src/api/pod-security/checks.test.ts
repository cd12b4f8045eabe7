// One table per check: a pod that passes, pods that fail with upstream's exact reason and detail.
import { describe, expect, test } from "bun:test";
import { baselineChecks } from "./baseline.ts";
import { restrictedChecks } from "./restricted.ts";
import type { CheckedMetadata, CheckedPodSpec } from "./types.ts";

const checks = new Map([...baselineChecks, ...restrictedChecks].map((c) => [c.id, c]));
const c = (name: string, securityContext?: object, extra: object = {}) => ({ name, securityContext, ...extra });

type Row = [string, CheckedPodSpec, string | undefined, CheckedMetadata?];
const cases: Record<string, Row[]> = {
  appArmorProfile: [
    ["runtime default passes", { securityContext: { appArmorProfile: { type: "RuntimeDefault" } }, containers: [c("a")] }, undefined],
    ["unconfined pod", { securityContext: { appArmorProfile: { type: "Unconfined" } }, containers: [c("a")] }, 'forbidden AppArmor profile (pod "Unconfined")'],
    ["annotation", { containers: [c("a")] }, 'forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/a="unconfined")', { annotations: { "container.apparmor.security.beta.kubernetes.io/a": "unconfined" } }],
  ],
  capabilities_baseline: [
    ["default caps pass", { containers: [c("a", { capabilities: { add: ["CHOWN", "NET_BIND_SERVICE"] } })] }, undefined],
    ["extra caps", { containers: [c("a", { capabilities: { add: ["SYS_ADMIN", "NET_ADMIN"] } }), c("b", { capabilities: { add: ["NET_ADMIN"] } })] }, 'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add)'],
  ],
  hostNamespaces: [
    ["none", { containers: [c("a")] }, undefined],
    ["network and pid", { hostNetwork: true, hostPID: true, containers: [c("a")] }, "host namespaces (hostNetwork=true, hostPID=true)"],
  ],
  hostPathVolumes: [
    ["emptyDir", { volumes: [{ name: "v", emptyDir: {} }], containers: [c("a")] }, undefined],
    ["hostPath", { volumes: [{ name: "v", hostPath: { path: "/" } }], containers: [c("a")] }, 'hostPath volumes (volume "v")'],
  ],
  hostPorts: [
    ["container port only", { containers: [c("a", undefined, { ports: [{ containerPort: 80 }] })] }, undefined],
    ["host ports", { containers: [c("a", undefined, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 443 }] })] }, 'hostPort (container "a" uses hostPorts 443, 8080)'],
  ],
  privileged: [
    ["false", { containers: [c("a", { privileged: false })] }, undefined],
    ["init container", { initContainers: [c("i", { privileged: true })], containers: [c("a")] }, 'privileged (container "i" must not set securityContext.privileged=true)'],
  ],
  procMount: [
    ["default", { containers: [c("a", { procMount: "Default" })] }, undefined],
    ["unmasked", { containers: [c("a", { procMount: "Unmasked" })] }, 'procMount (container "a" must not set securityContext.procMount to "Unmasked")'],
  ],
  seccompProfile_baseline: [
    ["unset", { containers: [c("a")] }, undefined],
    ["unconfined", { securityContext: { seccompProfile: { type: "Unconfined" } }, containers: [c("a", { seccompProfile: { type: "Unconfined" } })] }, 'seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")'],
  ],
  seLinuxOptions: [
    ["container_t", { containers: [c("a", { seLinuxOptions: { type: "container_t", level: "s0" } })] }, undefined],
    ["user and type", { containers: [c("a", { seLinuxOptions: { type: "spc_t", user: "root" } })] }, 'seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user "root")'],
  ],
  sysctls: [
    ["safe", { securityContext: { sysctls: [{ name: "net.ipv4.tcp_syncookies", value: "1" }] }, containers: [c("a")] }, undefined],
    ["unsafe", { securityContext: { sysctls: [{ name: "kernel.msgmax" }, { name: "net.core.somaxconn" }] }, containers: [c("a")] }, "forbidden sysctls (kernel.msgmax, net.core.somaxconn)"],
  ],
  windowsHostProcess: [
    ["unset", { containers: [c("a")] }, undefined],
    ["host process", { securityContext: { windowsOptions: { hostProcess: true } }, containers: [c("a")] }, "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"],
  ],
  allowPrivilegeEscalation: [
    ["false", { containers: [c("a", { allowPrivilegeEscalation: false })] }, undefined],
    ["unset and true", { containers: [c("a"), c("b", { allowPrivilegeEscalation: true })] }, 'allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false)'],
  ],
  capabilities_restricted: [
    ["drop all, add bind", { containers: [c("a", { capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } })] }, undefined],
    ["no drop", { containers: [c("a")] }, 'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])'],
    ["adds chown", { containers: [c("a", { capabilities: { drop: ["ALL"], add: ["CHOWN"] } })] }, 'unrestricted capabilities (container "a" must not include "CHOWN" in securityContext.capabilities.add)'],
  ],
  restrictedVolumes: [
    ["allowed", { volumes: [{ name: "c", configMap: { name: "x" } }, { name: "e", emptyDir: {} }], containers: [c("a")] }, undefined],
    ["hostPath and nfs", { volumes: [{ name: "h", hostPath: { path: "/" } }, { name: "n", nfs: { server: "s", path: "/" } }], containers: [c("a")] }, 'restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs")'],
  ],
  runAsNonRoot: [
    ["pod true", { securityContext: { runAsNonRoot: true }, containers: [c("a")] }, undefined],
    ["unset", { containers: [c("a")] }, 'runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)'],
    ["container false", { securityContext: { runAsNonRoot: true }, containers: [c("a", { runAsNonRoot: false })] }, 'runAsNonRoot != true (container "a" must not set securityContext.runAsNonRoot=false)'],
  ],
  runAsUser: [
    ["1000", { securityContext: { runAsUser: 1000 }, containers: [c("a")] }, undefined],
    ["zero", { securityContext: { runAsUser: 0 }, containers: [c("a", { runAsUser: 0 })] }, 'runAsUser=0 (pod and container "a" must not set runAsUser=0)'],
  ],
  seccompProfile_restricted: [
    ["pod runtime default", { securityContext: { seccompProfile: { type: "RuntimeDefault" } }, containers: [c("a")] }, undefined],
    ["unset", { containers: [c("a")] }, 'seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'],
    ["unconfined container", { securityContext: { seccompProfile: { type: "RuntimeDefault" } }, containers: [c("a", { seccompProfile: { type: "Unconfined" } })] }, 'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")'],
  ],
};

for (const [id, rows] of Object.entries(cases)) {
  describe(id, () => {
    // A rest parameter: bun takes a callback's fourth declared parameter for `done`.
    test.each(rows)("%s", (...[, spec, want, meta]: Row) => {
      const v = checks.get(id)!.check(meta ?? {}, spec);
      expect(v && `${v.reason} (${v.detail})`).toEqual(want);
    });
  });
}

test("every check has a table", () => {
  expect(Object.keys(cases).sort()).toEqual([...checks.keys()].sort());
});
