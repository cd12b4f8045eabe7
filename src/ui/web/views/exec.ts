// A terminal to a container: the API's WebSocket exec (v4.channel.k8s.io: one byte of channel,
// then data — 0 stdin, 1 stdout, 2 stderr, 3 the exit Status), as `kubectl exec -i` uses it.
// Browsers can't set an Authorization header on a WebSocket, so the token rides in the
// `base64url.bearer.authorization.k8s.io.` subprotocol, as kube-apiserver accepts it.
// The widget is line-based: the shell runs without a TTY, each line typed is sent with its
// newline, and what the shell writes scrolls above it.
import { h } from "../dom.ts";
import type { Ctx } from "../context.ts";

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function bearerProtocol(token: string): string {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(token)));
  return `base64url.bearer.authorization.k8s.io.${b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

export function execPanel(ctx: Ctx, pod: any, panel: HTMLElement): () => void {
  const container = h("select", { id: "exec-container" }, ...pod.spec.containers.map((c: any) => h("option", { value: c.name }, c.name)));
  const command = h("input", { id: "exec-command", value: "sh" });
  const out = h("pre", { class: "terminal", id: "terminal" });
  const line = h("input", { id: "terminal-input", placeholder: "type a command, Enter to send", autocomplete: "off", disabled: true });
  const state = h("span", { id: "exec-state", class: "muted" }, "not connected");
  let ws: WebSocket | undefined;
  const decoder = new TextDecoder();
  const write = (text: string) => {
    out.append(text.replace(ANSI, ""));
    out.scrollTop = out.scrollHeight;
  };
  const connect = () => {
    ws?.close();
    out.textContent = "";
    const q = new URLSearchParams({ container: container.value, stdin: "true", stdout: "true", stderr: "true" });
    for (const part of command.value.trim().split(/\s+/).filter(Boolean)) q.append("command", part);
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/exec?${q}`;
    const socket = new WebSocket(url, ["v4.channel.k8s.io", bearerProtocol(ctx.api.token)]);
    ws = socket;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      state.textContent = "connected";
      line.disabled = false;
      line.focus();
    };
    socket.onmessage = (m) => {
      const bytes = new Uint8Array(m.data as ArrayBuffer);
      if (bytes.length === 0) return;
      const text = decoder.decode(bytes.subarray(1));
      if (bytes[0] === 1 || bytes[0] === 2) write(text);
      else if (bytes[0] === 3 && text) {
        const status = JSON.parse(text);
        write(status.status === "Success" ? "\n[exited]\n" : `\n[${status.message ?? "failed"}]\n`);
      }
    };
    socket.onclose = () => {
      state.textContent = "disconnected";
      line.disabled = true;
    };
    socket.onerror = () => write("\n[the connection failed: the server refused the exec, or the pod isn't running]\n");
  };
  line.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !ws || ws.readyState !== WebSocket.OPEN) return;
    const data = new TextEncoder().encode(`${line.value}\n`);
    const frame = new Uint8Array(data.length + 1);
    frame[0] = 0;
    frame.set(data, 1);
    write(`$ ${line.value}\n`);
    ws.send(frame);
    line.value = "";
  });
  panel.append(h("div", { class: "toolbar" }, "Container ", container, " Command ", command, h("button", { id: "exec-connect", onclick: connect }, "Connect"), state), out, line);
  return () => ws?.close();
}
