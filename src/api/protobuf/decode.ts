// Decoding `application/vnd.kubernetes.protobuf` request bodies: the 4-byte magic "k8s\0", then a
// runtime.Unknown whose typeMeta names the kind and whose raw bytes are that kind's message.
import { badRequest, StatusError } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { messageType, typeForKind } from "./schema.ts";
import { messageToJson } from "./to-json.ts";
import { PROTOBUF_MEDIA_TYPE } from "./media-type.ts";

export { PROTOBUF_MEDIA_TYPE };

/** The envelope prefix of every Kubernetes protobuf object. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: KubeObject;
}

interface Unknown {
  typeMeta?: { apiVersion?: string; kind?: string };
  raw?: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
}

function hasMagic(bytes: Uint8Array): boolean {
  return bytes.byteLength >= PROTOBUF_MAGIC.byteLength && PROTOBUF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Decodes a Kubernetes protobuf body into the object its JSON encoding would be; 400 on anything malformed. */
export function decodeKubeProtobuf(bytes: Uint8Array): DecodedObject {
  if (!hasMagic(bytes)) throw badRequest("the protobuf body does not start with the Kubernetes envelope prefix k8s\\0");
  try {
    const unknown = messageType("k8s.io.apimachinery.pkg.runtime.Unknown").decode(bytes.subarray(PROTOBUF_MAGIC.byteLength)) as Unknown;
    const apiVersion = unknown.typeMeta?.apiVersion ?? "";
    const kind = unknown.typeMeta?.kind ?? "";
    if (!kind) throw badRequest("the protobuf body does not name its kind (typeMeta.kind is empty)");
    if (unknown.contentEncoding) throw badRequest(`unsupported protobuf contentEncoding ${JSON.stringify(unknown.contentEncoding)}`);
    if (unknown.contentType && unknown.contentType !== PROTOBUF_MEDIA_TYPE) {
      throw badRequest(`unsupported contentType ${JSON.stringify(unknown.contentType)} inside the protobuf envelope`);
    }
    const type = typeForKind(apiVersion, kind);
    if (!type) throw badRequest(`no protobuf schema for ${apiVersion}, Kind=${kind}`);
    const message = type.decode(unknown.raw ?? new Uint8Array());
    const body = messageToJson(type, message as unknown as Record<string, unknown>) as Record<string, unknown>;
    const object = { apiVersion, kind, ...body } as KubeObject;
    return { apiVersion, kind, object };
  } catch (err) {
    if (err instanceof StatusError) throw err;
    // protobufjs throws plain Errors (truncated input, bad wire type), RangeError (times, deep
    // groups) and SyntaxError (FieldsV1 that is not JSON): all of them mean a malformed body.
    throw badRequest(`error decoding protobuf body: ${(err as Error).message}`);
  }
}
