// The control plane's own static identities: the controller manager and the scheduler each get
// a token kept in the data dir (created at first start), so either can run as its own process
// with its own user — system:kube-controller-manager, system:kube-scheduler — that RBAC binds.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { USER_CONTROLLER_MANAGER, USER_SCHEDULER, type UserInfo } from "./auth.ts";

export interface ComponentToken {
  /** File stem in the data dir: <name>.token and <name>.kubeconfig. */
  name: string;
  token: string;
  user: UserInfo;
}

function readOrCreateToken(path: string): string {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export function componentTokens(dataDir: string): ComponentToken[] {
  return [
    { name: "controller-manager", user: { name: USER_CONTROLLER_MANAGER, groups: [] } },
    { name: "scheduler", user: { name: USER_SCHEDULER, groups: [] } },
  ].map((c) => ({ ...c, token: readOrCreateToken(join(dataDir, `${c.name}.token`)) }));
}
