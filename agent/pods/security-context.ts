// What kubelet adds to a container's CRI security context beyond the plain field copies
// (pkg/kubelet/kuberuntime/security_context*.go): the seccomp profile, the supplemental groups
// (fsGroup included, so a pod's volumes written with that group stay writable), and the
// runAsNonRoot verification against the image's user before the container is created.
import type { Container, Pod } from "../../src/apis/index.ts";
import { ContainerConfigError } from "./env.ts";

interface SeccompProfile {
  type?: string;
  localhostProfile?: string;
}

/** The CRI SecurityProfile for the container's seccompProfile (container over pod); undefined: unconfined, as kubelet without SeccompDefault. */
export function seccompFor(pod: Pod, c: Container): { profile_type: string; localhost_ref?: string } | undefined {
  const p = ((c.securityContext as { seccompProfile?: SeccompProfile } | undefined)?.seccompProfile ??
    (pod.spec?.securityContext as { seccompProfile?: SeccompProfile } | undefined)?.seccompProfile) as SeccompProfile | undefined;
  switch (p?.type) {
    case undefined:
      return undefined;
    case "RuntimeDefault":
      return { profile_type: "RuntimeDefault" };
    case "Unconfined":
      return { profile_type: "Unconfined" };
    case "Localhost":
      // kubelet resolves the path under its seccomp root; kubun has none, so it refuses instead of running unconfined.
      throw new ContainerConfigError(`seccomp profile type Localhost is not supported by this node (profile ${JSON.stringify(p.localhostProfile ?? "")})`);
  }
  throw new ContainerConfigError(`unknown seccomp profile type ${JSON.stringify(p?.type)}`);
}

/** supplementalGroups plus fsGroup, as kubelet sets them on each container. */
export function supplementalGroups(pod: Pod): number[] {
  const sc = pod.spec?.securityContext as { supplementalGroups?: number[]; fsGroup?: number } | undefined;
  const groups = [...(sc?.supplementalGroups ?? [])];
  if (sc?.fsGroup !== undefined && !groups.includes(sc.fsGroup)) groups.push(sc.fsGroup);
  return groups;
}

/** The image's user as ImageStatus reports it: a numeric uid or a user name. */
export interface ImageUser {
  uid?: { value: string } | null;
  username?: string;
}

/** kubelet's verifyRunAsNonRoot: throws the CreateContainerConfigError kubelet reports. */
export function verifyRunAsNonRoot(pod: Pod, c: Container, image: ImageUser | undefined): void {
  const sc = c.securityContext as { runAsNonRoot?: boolean; runAsUser?: number } | undefined;
  const podSc = pod.spec?.securityContext as { runAsNonRoot?: boolean; runAsUser?: number } | undefined;
  if ((sc?.runAsNonRoot ?? podSc?.runAsNonRoot) !== true) return;
  const runAsUser = sc?.runAsUser ?? podSc?.runAsUser;
  const where = `(pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${c.name})`;
  if (runAsUser !== undefined) {
    if (runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${where}`);
    return;
  }
  if (image?.uid && image.uid.value !== "" && image.uid.value !== "0") return;
  if (!image?.uid && image?.username) {
    throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root ${where}`);
  }
  throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${where}`);
}
