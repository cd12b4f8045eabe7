// The API servers an agent can fail over to, learned from the default/kubernetes endpoints (which
// list every live server on a shared datastore: src/api/apiserver-endpoints.ts), as k3s's agent
// load balancer learns them. The client tries them in turn when its current server cannot be
// reached (KubeClient's fallbackServers); `--server` given more than once seeds the list.
import type { KubeClient } from "../src/client/index.ts";
import { resourceFor } from "../src/client/index.ts";

interface Endpoints {
  subsets?: { addresses?: { ip: string }[]; ports?: { port: number; name?: string }[] }[];
}

/** https://IP:PORT of every address in the endpoints (IPv6 in brackets). */
export function serverURLs(endpoints: Endpoints): string[] {
  const urls: string[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = subset.ports?.find((p) => p.name === "https")?.port ?? subset.ports?.[0]?.port;
    if (!port) continue;
    for (const a of subset.addresses ?? []) urls.push(`https://${a.ip.includes(":") ? `[${a.ip}]` : a.ip}:${port}`);
  }
  return urls;
}

/** Reads the endpoints now and every `periodMs`, keeping `seeds` too; returns the stop function. */
export function learnServers(client: KubeClient, seeds: string[], periodMs = 30_000): () => void {
  const refresh = async () => {
    try {
      const endpoints = await client.get(resourceFor("Endpoints"), "default", "kubernetes");
      client.setFallbackServers([...serverURLs(endpoints as Endpoints), ...seeds]);
    } catch {
      // Unreachable for now, or no endpoints: the list stays as it is, the next round tries again.
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), periodMs);
  return () => clearInterval(timer);
}
