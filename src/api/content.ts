// Request bodies and response negotiation: JSON/YAML decoding with kube-apiserver's limits
// and errors, and whether the client asked for a Table.
import type YAMLModule from "yaml";
import { badRequest, tooLarge, unsupportedMediaType } from "../apis/errors.ts";
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH } from "./patch/index.ts";
import type * as KubeProtobuf from "./protobuf/decode.ts";
import { PROTOBUF_MEDIA_TYPE } from "./protobuf/media-type.ts";

// The YAML parser and the protobuf codec load with the first body that needs them (synchronously:
// decodeBody is), not with the server: most servers' clients send JSON, and the two keep ~1 MB of
// source compiled and resident for nothing.
const parseYaml = (text: string, options: { maxAliasCount: number }): unknown => (require("yaml") as typeof YAMLModule).parse(text, options);
const decodeKubeProtobuf = (bytes: Uint8Array): KubeProtobuf.DecodedObject => (require("./protobuf/decode.ts") as typeof KubeProtobuf).decodeKubeProtobuf(bytes);

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_DEPTH = 100;

export const PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] as const;

export function mediaType(contentType: string | null | undefined): string {
  if (contentType === "application/json") return contentType; // what nearly every client sends, as it is
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Reads the body, refusing more than 3 MiB without buffering it all first. */
export async function readBody(req: Request): Promise<Uint8Array> {
  const length = req.headers.get("content-length");
  if (length !== null && Number(length) > MAX_BODY_BYTES) throw tooLarge();
  // A declared length within the limit is read in one go (none at all when there is no body),
  // without making the body's stream; only unsized bodies are streamed and counted.
  if (length !== null) return req.bytes();
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function checkDepth(value: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw badRequest(`request body nested deeper than ${MAX_DEPTH} levels`);
  if (!value || typeof value !== "object") return;
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) checkDepth(value[i], depth + 1);
  else for (const k in value) checkDepth((value as Record<string, unknown>)[k], depth + 1);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decodes a JSON, YAML or Kubernetes protobuf body by its media type. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): unknown {
  const type = mediaType(contentType);
  if (type === PROTOBUF_MEDIA_TYPE) return decodeKubeProtobuf(bytes).object;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw badRequest("the request body is not valid UTF-8");
  }
  if (text.trim() === "") throw badRequest("the request body is empty");
  let value: unknown;
  if (type === "application/yaml" || type === APPLY_PATCH || type === "text/yaml") {
    try {
      value = parseYaml(text, { maxAliasCount: 100 });
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message.split("\n")[0]}`);
    }
  } else if (type === "application/json" || type === "" || (PATCH_TYPES as readonly string[]).includes(type)) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  } else {
    throw unsupportedMediaType(type);
  }
  checkDepth(value);
  return value;
}

export function expectObject(value: unknown, what = "request body"): Record<string, unknown> {
  // Not just any object: YAML tags such as !!binary or !!set decode to Uint8Array, Set ...
  const proto = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw badRequest(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** True when the Accept header asks for a meta.k8s.io Table before anything else it takes. */
export function wantsTable(accept: string | null | undefined): boolean {
  if (!accept) return false;
  for (const part of accept.split(",")) {
    const params = part.split(";").map((p) => p.trim());
    if (params.includes("as=Table") && params.some((p) => p === "g=meta.k8s.io") && params.some((p) => p === "v=v1" || p === "v=v1beta1")) return true;
    if (params[0] === "application/json" || params[0] === "*/*") return false;
  }
  return false;
}
