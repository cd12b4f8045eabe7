// Message helpers with upstream's exact wording (policy/helpers.go), and the container walk.
import type { CheckedContainer, CheckedPodSpec } from "./types.ts";
import { compareStrings } from "../../apis/compare.ts";

export const joinQuote = (items: readonly string[]) => (items.length ? `"${items.join(`", "`)}"` : "");

export const pluralize = (singular: string, plural: string, count: number) => (count === 1 ? singular : plural);

/** Go's sets.String.List(): unique and sorted bytewise. */
export const sortedSet = (items: Iterable<string>) => [...new Set(items)].sort(compareStrings);

/** Every container of the pod, init and ephemeral ones included (VisitContainers). */
export function allContainers(spec: CheckedPodSpec): CheckedContainer[] {
  const list = (v: unknown) => (Array.isArray(v) ? (v as CheckedContainer[]) : []);
  return [...list(spec.initContainers), ...list(spec.containers), ...list(spec.ephemeralContainers)].filter((c) => c && typeof c === "object");
}

/** `container "a"` / `containers "a", "b"`. */
export const containersPhrase = (names: readonly string[]) => `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
