// `kubun server`'s PodSecurity flags. kube-apiserver takes these in an AdmissionConfiguration
// file (PodSecurityConfiguration: defaults and exemptions); kubun has no admission config file
// for any other plugin, so the same settings come as flags, in the config's own vocabulary.
import { DEFAULT_POD_SECURITY, parseDefaults, type PodSecurityConfig } from "../api/pod-security/index.ts";

export const POD_SECURITY_FLAGS = {
  "pod-security-default": { type: "string" },
  "pod-security-exempt-usernames": { type: "string" },
  "pod-security-exempt-namespaces": { type: "string" },
  "pod-security-exempt-runtime-classes": { type: "string" },
} as const;

const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : []);

export function podSecurityFromFlags(values: Record<string, unknown>): PodSecurityConfig {
  const d = values["pod-security-default"];
  return {
    defaults: typeof d === "string" ? parseDefaults(d) : DEFAULT_POD_SECURITY.defaults,
    exemptions: {
      usernames: list(values["pod-security-exempt-usernames"]),
      namespaces: list(values["pod-security-exempt-namespaces"]),
      runtimeClasses: list(values["pod-security-exempt-runtime-classes"]),
    },
  };
}
