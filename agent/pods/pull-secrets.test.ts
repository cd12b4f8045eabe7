import { expect, test } from "bun:test";
import type { Pod, Secret } from "../../src/apis/index.ts";
import { pullCredentials } from "./pull-secrets.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const regcred: Secret = {
  metadata: { name: "regcred", namespace: "ns" },
  type: "kubernetes.io/dockerconfigjson",
  data: { ".dockerconfigjson": b64(JSON.stringify({ auths: { "r.example.com": { auth: b64("me:pw") } } })) },
};
const pod = (names: string[]): Pod => ({ metadata: { name: "p", namespace: "ns" }, spec: { containers: [], imagePullSecrets: names.map((name) => ({ name })) } });
const api = { secret: async (_ns: string, name: string) => (name === "regcred" ? regcred : null) };

test("the pod's pull secrets that match the image; a missing one is told in kubelet's event", async () => {
  const events: string[] = [];
  const event = (type: string, reason: string, message: string) => void events.push(`${type} ${reason}: ${message}`);
  expect(await pullCredentials(pod(["gone", "regcred"]), "r.example.com/app:1", api, event)).toEqual([{ username: "me", password: "pw" }]);
  expect(events).toEqual(["Warning FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed."]);
  expect(await pullCredentials(pod(["regcred"]), "other.example.com/app:1", api, event)).toEqual([]);
  expect(await pullCredentials(pod([]), "r.example.com/app:1", api, event)).toEqual([]);
});
