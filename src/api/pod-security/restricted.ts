// The restricted level (latest): baseline plus current pod-hardening practice, with upstream's
// check IDs and wording. Some checks replace their baseline form (overrides).
import { containerSecurityContext as sc, setters } from "./baseline.ts";
import { allContainers, containersPhrase, joinQuote, pluralize, sortedSet } from "./helpers.ts";
import type { Check } from "./types.ts";

const ALLOWED_VOLUME_TYPES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const validSeccomp = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";

export const restrictedChecks: Check[] = [
  {
    id: "allowPrivilegeEscalation",
    level: "restricted",
    check(_meta, spec) {
      const names = allContainers(spec).filter((c) => sc(c).allowPrivilegeEscalation !== false).map((c) => c.name);
      if (!names.length) return undefined;
      return { reason: "allowPrivilegeEscalation != false", detail: `${containersPhrase(names)} must set securityContext.allowPrivilegeEscalation=false` };
    },
  },
  {
    id: "capabilities_restricted",
    level: "restricted",
    overrides: ["capabilities_baseline"],
    check(_meta, spec) {
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const caps: string[] = [];
      for (const c of allContainers(spec)) {
        const cap = sc(c).capabilities;
        if (!(cap?.drop ?? []).includes("ALL")) missingDrop.push(c.name);
        const bad = (cap?.add ?? []).filter((x) => x !== "NET_BIND_SERVICE");
        if (bad.length) adding.push(c.name), caps.push(...bad);
      }
      const details: string[] = [];
      if (missingDrop.length) details.push(`${containersPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
      return details.length ? { reason: "unrestricted capabilities", detail: details.join("; ") } : undefined;
    },
  },
  {
    id: "restrictedVolumes",
    level: "restricted",
    overrides: ["hostPathVolumes"],
    check(_meta, spec) {
      const names: string[] = [];
      const types: string[] = [];
      for (const v of spec.volumes ?? []) {
        const kinds = Object.keys(v ?? {}).filter((k) => k !== "name" && (v as Record<string, unknown>)[k] != null);
        const bad = kinds.filter((k) => !ALLOWED_VOLUME_TYPES.has(k));
        if (!kinds.length) bad.push("unknown");
        if (bad.length) names.push(v.name), types.push(...bad);
      }
      if (!names.length) return undefined;
      const t = sortedSet(types);
      return {
        reason: "restricted volume types",
        detail: `${pluralize("volume", "volumes", names.length)} ${joinQuote(names)} ${pluralize("uses", "use", names.length)} ${pluralize("restricted volume type", "restricted volume types", t.length)} ${joinQuote(t)}`,
      };
    },
  },
  {
    id: "runAsNonRoot",
    level: "restricted",
    check(_meta, spec) {
      const podValue = spec.securityContext?.runAsNonRoot;
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of allContainers(spec)) {
        const v = sc(c).runAsNonRoot;
        if (v !== undefined && v !== true) explicit.push(c.name);
        else if (v === undefined && podValue !== true) implicit.push(c.name);
      }
      if (podValue === false || explicit.length) {
        return { reason: "runAsNonRoot != true", detail: `${setters(podValue === false, explicit)} must not set securityContext.runAsNonRoot=false` };
      }
      if (implicit.length) return { reason: "runAsNonRoot != true", detail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
      return undefined;
    },
  },
  {
    id: "runAsUser",
    level: "restricted",
    check(_meta, spec) {
      const pod = spec.securityContext?.runAsUser === 0;
      const names = allContainers(spec).filter((c) => sc(c).runAsUser === 0).map((c) => c.name);
      if (!pod && !names.length) return undefined;
      return { reason: "runAsUser=0", detail: `${setters(pod, names)} must not set runAsUser=0` };
    },
  },
  {
    id: "seccompProfile_restricted",
    level: "restricted",
    overrides: ["seccompProfile_baseline"],
    check(_meta, spec) {
      const podProfile = spec.securityContext?.seccompProfile;
      const podBad = podProfile != null && !validSeccomp(podProfile.type);
      const badValues: string[] = podBad ? [String(podProfile.type)] : [];
      const explicit: string[] = [];
      const implicit: string[] = [];
      for (const c of allContainers(spec)) {
        const p = sc(c).seccompProfile;
        if (p != null) {
          if (!validSeccomp(p.type)) explicit.push(c.name), badValues.push(String(p.type));
        } else if (!(podProfile != null && validSeccomp(podProfile.type))) implicit.push(c.name);
      }
      if (podBad || explicit.length) {
        return { reason: "seccompProfile", detail: `${setters(podBad, explicit)} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}` };
      }
      if (implicit.length) {
        return { reason: "seccompProfile", detail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
      }
      return undefined;
    },
  },
];
