// The 422 the apiserver answers when a patch cannot be applied (NewGenericServerResponse with
// StatusUnprocessableEntity). Kubernetes' message stops at the generic sentence; we append the
// detail so the user can see which operation failed and why.
import { StatusError } from "../../apis/errors.ts";

export function rejectedPatch(detail: string): StatusError {
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `the server rejected our request due to an error in our request: ${detail}`,
    reason: "Invalid",
    details: { causes: [{ reason: "FieldValueInvalid", message: detail }] },
    code: 422,
  });
}
