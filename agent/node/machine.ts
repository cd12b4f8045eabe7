// What the node reports about the machine: capacity, addresses and system info.
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { arch, cpus, hostname, networkInterfaces, release, totalmem } from "node:os";
import type { NodeAddress, NodeSystemInfo, ResourceList } from "../../src/apis/index.ts";
import { compareStrings } from "../../src/apis/compare.ts";

export const KUBELET_VERSION = "v1.32.0-kubun";
export const MAX_PODS = 110;

const readTrim = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").trim() : "");

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readTrim("/etc/os-release"));
  return m?.[1] ?? "Linux";
}

/** The node's first non-loopback IPv4 address (eth0 preferred). */
export function defaultHostIP(): string {
  const ifaces = networkInterfaces();
  const names = Object.keys(ifaces).sort((a, b) => (a === "eth0" ? -1 : b === "eth0" ? 1 : compareStrings(a, b)));
  for (const name of names) {
    if (name.startsWith("kubun") || name.startsWith("veth") || name.startsWith("cni")) continue;
    for (const a of ifaces[name] ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export function capacity(dataDir: string): ResourceList {
  const fs = statfsSync(dataDir);
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: String(MAX_PODS),
    "ephemeral-storage": `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
  };
}

export function addresses(hostIP: string, nodeName: string): NodeAddress[] {
  return [
    { type: "InternalIP", address: hostIP },
    { type: "Hostname", address: nodeName || hostname() },
  ];
}

export function systemInfo(containerRuntimeVersion: string): NodeSystemInfo {
  return {
    machineID: readTrim("/etc/machine-id"),
    systemUUID: readTrim("/sys/class/dmi/id/product_uuid") || readTrim("/etc/machine-id"),
    bootID: readTrim("/proc/sys/kernel/random/boot_id"),
    kernelVersion: release(),
    osImage: osImage(),
    containerRuntimeVersion,
    kubeletVersion: KUBELET_VERSION,
    kubeProxyVersion: KUBELET_VERSION,
    operatingSystem: "linux",
    architecture: ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[arch()] ?? arch(),
  };
}
