// The shape of an admission step in the registry's write path (admission.ts composes them).
import type { KubeObject } from "../apis/meta.ts";

/** Called once the admitted write has settled (written, failed or dry run): quota's lock. */
export type Release = () => void;

/** An admission check of a create (old undefined) or an update; throws the Status to answer. */
export type AdmitWrite = (obj: KubeObject, old: KubeObject | undefined) => void | Release | Promise<void | Release>;
