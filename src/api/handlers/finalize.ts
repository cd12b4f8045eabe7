// PUT /api/v1/namespaces/{name}/finalize: the namespace controller's way to clear
// spec.finalizers once the namespace is empty. Only spec.finalizers changes; a Terminating
// namespace left with no finalizers is removed by that same write.
import { badRequest, staleConflict } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { qualified } from "../storage.ts";
import { checkTypeMeta, respond, respondObject, writeOptions, type HandlerContext } from "./context.ts";
import { readObject } from "./write.ts";

type Spec = { finalizers?: unknown };

export async function handleFinalize(h: HandlerContext): Promise<Response> {
  const body = await readObject(h);
  checkTypeMeta(h.r, body);
  const name = h.info.name!;
  const meta = (body.metadata ?? {}) as { name?: string; resourceVersion?: string };
  if (meta.name !== undefined && meta.name !== name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  const finalizers = (body.spec as Spec | undefined)?.finalizers ?? [];
  const opts = writeOptions(h);
  const updated = await h.deps.storage.update(
    h.r,
    undefined,
    name,
    (current) => {
      if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) throw staleConflict(qualified(h.r), name);
      const ns = current as KubeObject & { spec?: Spec };
      ns.spec = { ...ns.spec, finalizers };
      return ns;
    },
    opts,
  );
  return respondObject(h, updated, 200, opts.warnings);
}
