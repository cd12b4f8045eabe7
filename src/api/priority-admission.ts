// The Priority admission step, after kube-apiserver's plugin of that name. On a pod create it
// resolves spec.priorityClassName into spec.priority and spec.preemptionPolicy (a pod without a
// class takes the globalDefault class, if any); an unknown class is refused with upstream's 403.
// On a PriorityClass write it keeps globalDefault to one class. Pods' priority never changes
// after create, so updates pass.
import { forbidden } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import type { PriorityClass } from "../apis/scheduling/priorityclass.ts";
import type { Store } from "../store/index.ts";
import type { AdmitWrite } from "./admit-write.ts";

const PRIORITY_CLASSES = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;

const listClasses = (store: Store): PriorityClass[] => store.list(storePrefix(PRIORITY_CLASSES)).items.map((e) => e.object as PriorityClass);

type PodSpec = { priorityClassName?: string; priority?: number; preemptionPolicy?: string };

export function priorityAdmission(r: ResourceInfo, store: Store | undefined): AdmitWrite | undefined {
  if (!store) return undefined;
  if (r.group === "scheduling.k8s.io" && r.kind === "PriorityClass") return (obj) => admitClass(store, obj as PriorityClass);
  if (r.group || r.kind !== "Pod") return undefined;
  return (obj, old) => {
    if (old) return;
    const spec = (obj as { spec?: PodSpec }).spec;
    if (!spec) return;
    const name = obj.metadata.name ?? obj.metadata.generateName ?? "";
    const classes = listClasses(store);
    let pc: PriorityClass | undefined;
    if (spec.priorityClassName) {
      pc = classes.find((c) => c.metadata.name === spec.priorityClassName);
      if (!pc) throw forbidden(`pods ${JSON.stringify(name)} is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`);
      if (spec.priority !== undefined && spec.priority !== pc.value) {
        throw forbidden(`pods ${JSON.stringify(name)} is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${pc.value} from the given PriorityClass name`);
      }
    } else {
      // Defaulting gave a class-less pod priority 0; the cluster's default class, when there is one, decides instead.
      pc = globalDefault(classes);
      if (!pc) return;
      spec.priorityClassName = pc.metadata.name;
    }
    spec.priority = pc.value;
    spec.preemptionPolicy = pc.preemptionPolicy ?? "PreemptLowerPriority";
  };
}

/** The globalDefault class with the lowest value when several claim it (as upstream's getDefaultPriorityClass). */
function globalDefault(classes: PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const c of classes) if (c.globalDefault && (!best || c.value < best.value)) best = c;
  return best;
}

function admitClass(store: Store, pc: PriorityClass): void {
  if (!pc.globalDefault) return;
  const other = listClasses(store).find((c: KubeObject & { globalDefault?: boolean }) => c.globalDefault && c.metadata.name !== pc.metadata.name);
  if (other) throw forbidden(`PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`);
}
