// Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl 1.32+
// sends for its imperative `create` commands.
export { decodeKubeProtobuf, PROTOBUF_MAGIC, PROTOBUF_MEDIA_TYPE, type DecodedObject } from "./decode.ts";
export { messageType, typeForKind } from "./schema.ts";
