// OpenAPI for kubun: the v3 index and per-group-version documents, the Swagger 2.0 document,
// the definitions they are built from, and field validation against those schemas.
export {
  closure,
  definitionFor,
  definitions,
  groupVersionKinds,
  refName,
  resolve,
  type GroupVersionKind,
  type Schema,
} from "./definitions.ts";
export { PATCH_CONTENT_TYPES, groupVersionPaths, servedGroupVersions, type Operation, type PathItem } from "./operations.ts";
export { openapiV2 } from "./v2.ts";
export { negotiateOpenapiV2, OPENAPI_V2_PROTOBUF, openapiV2Protobuf } from "./v2-protobuf.ts";
export { openapiV3GroupVersion, openapiV3Hash, openapiV3Index } from "./v3.ts";
export { fieldValidationWarnings, strictDecodingError, unknownFields } from "./validation.ts";
