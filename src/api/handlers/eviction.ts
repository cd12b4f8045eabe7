// POST pods/{name}/eviction (policy/v1 Eviction; v1beta1 bodies are the same shape): a delete
// that respects PodDisruptionBudgets, after kube-apiserver's EvictionREST. The budget's
// disruptionsAllowed is spent (and the pod recorded in its status.disruptedPods, so the
// disruption controller stops counting it as healthy) before the pod is deleted; a budget that
// allows no disruption answers 429 TooManyRequests, which `kubectl drain` retries. The evicted
// pod gets the DisruptionTarget condition before its graceful delete, as upstream.
import { badRequest, conflict, forbidden, internalError, tooManyRequests } from "../../apis/errors.ts";
import type { Pod } from "../../apis/core/pod.ts";
import { findResource } from "../../apis/registry.ts";
import { canIgnorePDB, evictionVerdict, pdbsCoveringPod, spendDisruption, type EvictionVerdict } from "../../apis/policy/disruption.ts";
import type { PodDisruptionBudget } from "../../apis/policy/poddisruptionbudget.ts";
import { formatTime } from "../../apis/time.ts";
import { isObject } from "../../apis/field.ts";
import { qualified, type DeleteOptions } from "../storage.ts";
import { checkTypeMeta, respond, writeOptions, type HandlerContext } from "./context.ts";
import { parseDeleteOptions, readObject } from "./write.ts";

const PDBS = findResource("policy", "v1", "poddisruptionbudgets")!;
const EVICTION_VERSIONS = ["policy/v1", "policy/v1beta1"];

type Obj = Record<string, any>;

function refusal(v: Extract<EvictionVerdict, { allowed: false }>, pdbName: string): Error {
  if (v.code === 403) {
    const err = forbidden(`poddisruptionbudgets.policy "${pdbName}" is forbidden: ${v.message}`);
    err.status.details = { name: pdbName, group: "policy", kind: "poddisruptionbudgets" };
    return err;
  }
  const err = tooManyRequests(v.retryAfterSeconds, v.message);
  err.status.details = { ...(v.retryAfterSeconds ? { retryAfterSeconds: v.retryAfterSeconds } : {}), causes: [{ reason: "DisruptionBudget", message: v.cause }] };
  return err;
}

export async function handleEviction(h: HandlerContext): Promise<Response> {
  const body = await readObject(h);
  const apiVersion = typeof body.apiVersion === "string" && EVICTION_VERSIONS.includes(body.apiVersion) ? body.apiVersion : "policy/v1";
  checkTypeMeta(h.r, body, "Eviction", apiVersion);
  const name = h.info.name!;
  const ns = h.info.namespace;
  const evictionName = (body.metadata as Obj | undefined)?.name;
  if (evictionName !== undefined && evictionName !== name) throw badRequest("name in URL does not match name in Eviction object");
  if (body.deleteOptions !== undefined && body.deleteOptions !== null && !isObject(body.deleteOptions)) throw badRequest("deleteOptions must be an object");
  writeOptions(h); // refuses a bad dryRun or fieldValidation in the query, as any create does
  const options = parseDeleteOptions(h, (body.deleteOptions as Obj | undefined) ?? {});
  const { storage } = h.deps;
  const pod = storage.get(h.r, ns, name) as Pod;

  if (!canIgnorePDB(pod)) {
    const pdbs = storage.list(PDBS, ns).items.map((e) => e.object as PodDisruptionBudget);
    const covering = pdbsCoveringPod(pod, pdbs);
    if (covering.length > 1) throw internalError("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    if (covering.length === 1) await checkBudget(h, pod, covering[0]!, options);
  }
  await addConditionAndDelete(h, pod, options);
  return respond(h, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}

/** Spends one disruption of the budget, or throws its refusal; an unready pod the policy lets go is pinned to the version judged. */
async function checkBudget(h: HandlerContext, pod: Pod, pdb: PodDisruptionBudget, options: DeleteOptions): Promise<void> {
  const verdict = evictionVerdict(pod, pdb);
  if (!verdict.allowed) throw refusal(verdict, pdb.metadata.name!);
  if (!verdict.decrement) {
    // Evicted because it is unready: should it turn ready meanwhile, the delete must fail.
    options.preconditions = { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion };
    return;
  }
  if (options.dryRun) return;
  const now = formatTime(h.deps.now());
  // Judged again on the stored budget at each attempt: a racing eviction may have spent it.
  await h.deps.storage.update(
    PDBS,
    pdb.metadata.namespace,
    pdb.metadata.name!,
    (current) => {
      const latest = current as PodDisruptionBudget;
      const again = evictionVerdict(pod, latest);
      if (!again.allowed) throw refusal(again, pdb.metadata.name!);
      latest.status = spendDisruption(latest.status!, pod.metadata.name!, now);
      return latest;
    },
    { subresource: "status" },
  );
}

/** Marks the pod DisruptionTarget=True (EvictionByEvictionAPI), then deletes it with the eviction's options. */
async function addConditionAndDelete(h: HandlerContext, pod: Pod, options: DeleteOptions): Promise<void> {
  const { storage } = h.deps;
  const name = pod.metadata.name!;
  if (!options.dryRun) {
    const now = formatTime(h.deps.now());
    const pre = options.preconditions;
    const updated = await storage.update(
      h.r,
      pod.metadata.namespace,
      name,
      (current) => {
        if (pre?.uid && pre.uid !== current.metadata.uid) throw conflict(qualified(h.r), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
        if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
          throw conflict(qualified(h.r), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
        }
        const p = current as Obj;
        p.status ??= {};
        const conditions: Obj[] = p.status.conditions ?? [];
        const old = conditions.find((c) => c.type === "DisruptionTarget");
        const want = { type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting" };
        const lastTransitionTime = old?.status === "True" ? old.lastTransitionTime : now;
        p.status.conditions = [...conditions.filter((c) => c !== old), { ...want, lastProbeTime: null, lastTransitionTime }];
        return current;
      },
      { subresource: "status" },
    );
    // We wrote the pod: a resourceVersion precondition now names our write.
    if (pre?.resourceVersion) options.preconditions = { ...pre, resourceVersion: updated.metadata.resourceVersion };
  }
  await storage.delete(h.r, pod.metadata.namespace, name, options);
}

