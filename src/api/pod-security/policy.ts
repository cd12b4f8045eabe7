// A namespace's Pod Security policy: its pod-security.kubernetes.io labels over the server's
// defaults (k8s.io/pod-security-admission/api). kubun knows the checks only at "latest": a
// `-version` label naming a specific version is refused at namespace validation rather than
// evaluated with checks that may differ from that version's.
import { fieldInvalid, fieldNotSupported } from "../../apis/errors.ts";
import type { StatusCause } from "../../apis/meta.ts";
import { LEVELS, type Level } from "./evaluate.ts";

export const MODES = ["enforce", "audit", "warn"] as const;
export type Mode = (typeof MODES)[number];
export const LABEL_PREFIX = "pod-security.kubernetes.io/";

export type Policy = Record<Mode, Level>;

export interface PodSecurityConfig {
  /** Levels for namespaces without labels (upstream's AdmissionConfiguration defaults). */
  defaults: Policy;
  exemptions: { usernames: string[]; namespaces: string[]; runtimeClasses: string[] };
}

export const DEFAULT_POD_SECURITY: PodSecurityConfig = {
  defaults: { enforce: "privileged", audit: "privileged", warn: "privileged" },
  exemptions: { usernames: [], namespaces: [], runtimeClasses: [] },
};

const isLevel = (v: unknown): v is Level => (LEVELS as readonly string[]).includes(v as string);

/** The namespace's policy; an invalid level (a label older than this check) fails closed to restricted, as upstream. */
export function policyOf(labels: Record<string, string> | undefined, defaults: Policy): Policy {
  const p = { ...defaults };
  for (const m of MODES) {
    const v = labels?.[LABEL_PREFIX + m];
    if (v !== undefined) p[m] = isLevel(v) ? v : "restricted";
  }
  return p;
}

/** "restricted:latest", as messages name a level. */
export const levelName = (l: Level) => `${l}:latest`;

/** Validation of the labels on a namespace write (422 causes). */
export function validatePolicyLabels(labels: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const m of MODES) {
    const field = `metadata.labels[${LABEL_PREFIX}${m}]`;
    const level = labels?.[LABEL_PREFIX + m];
    if (level !== undefined && !isLevel(level)) causes.push(fieldNotSupported(field, level, [...LEVELS]));
    const version = labels?.[`${LABEL_PREFIX}${m}-version`];
    if (version !== undefined && version !== "latest") {
      causes.push(fieldInvalid(`${field.slice(0, -1)}-version]`, version, 'kubun evaluates the Pod Security Standards only at "latest"; a specific version (v1.N) is not supported'));
    }
  }
  return causes;
}

/** Parses `enforce=baseline,warn=restricted` (the `kubun server --pod-security-default` flag). */
export function parseDefaults(text: string): Policy {
  const p = { ...DEFAULT_POD_SECURITY.defaults };
  for (const part of text.split(",").filter(Boolean)) {
    const [mode, level] = part.split("=").map((s) => s.trim());
    if (!(MODES as readonly string[]).includes(mode!)) throw new Error(`pod security default: unknown mode ${JSON.stringify(mode)} (enforce, audit, warn)`);
    if (!isLevel(level)) throw new Error(`pod security default: unknown level ${JSON.stringify(level)} (privileged, baseline, restricted)`);
    p[mode as Mode] = level;
  }
  return p;
}
