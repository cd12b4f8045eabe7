// The Swagger 2.0 document served at /openapi/v2: every definition and every path in one
// document. `kubectl explain` and client-side apply's strategic merge patch read it.
import { allDefinitions, GVK_EXTENSION } from "./definitions.ts";
import { customGeneration } from "../../apis/registry.ts";
import { TEXT, groupVersionPaths, servedGroupVersions, type Operation } from "./operations.ts";
import type { Parameter } from "./parameters.ts";
import { INFO } from "./v3.ts";

const v2Parameter = (param: Parameter) => ({
  name: param.name,
  in: param.in,
  description: param.description,
  ...(param.required ? { required: true } : {}),
  type: param.type,
  uniqueItems: true,
});

function v2Operation(op: Operation): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [code, definition] of Object.entries(op.responses)) {
    responses[code] = {
      description: code === "201" ? "Created" : code === "202" ? "Accepted" : "OK",
      schema: definition === TEXT ? { type: "string" } : { $ref: `#/definitions/${definition}` },
    };
  }
  responses["401"] = { description: "Unauthorized" };
  const body = op.body
    ? [{ name: "body", in: "body", required: true, schema: { $ref: `#/definitions/${op.body.definition}` } }]
    : [];
  return {
    description: op.description,
    consumes: op.body?.contentTypes ?? ["*/*"],
    produces: op.produces,
    schemes: ["https"],
    tags: [op.tag],
    operationId: op.operationId,
    parameters: [...body, ...op.parameters.map(v2Parameter)],
    responses,
    "x-kubernetes-action": op.action,
    [GVK_EXTENSION]: op.gvk,
  };
}

function build(): object {
  const paths: Record<string, unknown> = {};
  for (const gv of servedGroupVersions()) {
    for (const item of groupVersionPaths(gv.group, gv.version)) {
      const entry: Record<string, unknown> = { parameters: item.parameters.map(v2Parameter) };
      for (const op of item.operations) entry[op.method] = v2Operation(op);
      paths[item.path] = entry;
    }
  }
  return {
    swagger: "2.0",
    info: INFO,
    paths,
    definitions: allDefinitions(),
    securityDefinitions: { BearerToken: { description: "Bearer Token authentication", type: "apiKey", name: "authorization", in: "header" } },
    security: [{ BearerToken: [] }],
  };
}

let document: object | undefined;
let documentGeneration = -1;

/** The Swagger 2.0 document of everything kubun serves; built again when the served CRDs change. */
export function openapiV2(): object {
  if (documentGeneration !== customGeneration()) {
    document = undefined;
    documentGeneration = customGeneration();
  }
  document ??= build();
  return document;
}
