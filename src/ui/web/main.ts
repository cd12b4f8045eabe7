// The dashboard: log-in with a bearer token (kept in sessionStorage), the shell with its
// navigation and namespace picker, and a hash router that mounts one view at a time. Each view
// returns a cleanup that stops its watches when the user leaves it.
import { Api, ApiError } from "./api.ts";
import { Catalog } from "./catalog.ts";
import { clear, h } from "./dom.ts";
import { overviewView } from "./views/overview.ts";
import { listView } from "./views/list.ts";
import { detailView } from "./views/detail.ts";
import { createView } from "./views/create.ts";
import type { Ctx, View } from "./context.ts";

const TOKEN_KEY = "kubun.token";
const NS_KEY = "kubun.namespace";

const root = document.getElementById("app")!;

function loginView(message?: string): void {
  const input = h("input", { type: "password", id: "token", placeholder: "bearer token", autocomplete: "off" });
  const error = h("p", { class: "error", id: "login-error" }, message ?? "");
  const form = h(
    "form",
    {
      class: "login",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        try {
          const user = await whoAmI(new Api(token));
          sessionStorage.setItem(TOKEN_KEY, token);
          await start(token, user);
        } catch (err) {
          error.textContent = err instanceof ApiError && err.code === 401 ? "That token was not accepted (401 Unauthorized)." : `Log-in failed: ${(err as Error).message}`;
        }
      },
    },
    h("h1", {}, "kubun"),
    h("p", {}, "Paste a bearer token: the admin token or a service account's. What you see and may do is what RBAC gives that token."),
    input,
    h("button", { type: "submit", id: "login" }, "Log in"),
    error,
  );
  clear(root, form);
  input.focus();
}

async function whoAmI(api: Api): Promise<string> {
  const review = await api.send("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
  return review.status?.userInfo?.username ?? "unknown";
}

let cleanup: (() => void) | void;

async function start(token: string, user?: string): Promise<void> {
  const api = new Api(token);
  try {
    user ??= await whoAmI(api);
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return loginView(err instanceof ApiError && err.code === 401 ? "Your session's token is no longer accepted." : undefined);
  }
  const catalog = await Catalog.load(api);
  const nsSelect = h("select", { id: "namespace", title: "namespace" }, h("option", { value: "" }, "all namespaces"));
  const ctx: Ctx = {
    api,
    catalog,
    user: user!,
    namespace: () => nsSelect.value,
    go: (hash) => {
      location.hash = hash;
    },
  };
  const nav = h("nav", {}, h("a", { href: "#/" }, "Overview"));
  for (const [title, types] of catalog.sections()) {
    nav.append(h("h3", {}, title));
    for (const t of types) nav.append(h("a", { href: `#/r/${t.group || "core"}/${t.version}/${t.resource}`, "data-resource": t.resource }, t.kind));
  }
  const main = h("main", { id: "main" });
  const header = h(
    "header",
    {},
    h("a", { href: "#/", class: "brand" }, "kubun"),
    nsSelect,
    h("a", { href: "#/new", class: "button" }, "Create"),
    h("span", { class: "user", id: "user" }, user!),
    h("button", { id: "logout", onclick: () => logout() }, "Log out"),
  );
  clear(root, header, h("div", { class: "body" }, nav, main));
  // Namespaces the user may list fill the picker; without that right, the picker stays at "all".
  api
    .json("/api/v1/namespaces")
    .then((list) => {
      for (const ns of list.items) nsSelect.append(h("option", { value: ns.metadata.name }, ns.metadata.name));
      nsSelect.value = sessionStorage.getItem(NS_KEY) ?? "";
    })
    .catch(() => {
      // Without the right to list namespaces, offer the service account's own namespace.
      const own = /^system:serviceaccount:([^:]+):/.exec(user!)?.[1];
      if (!own) return;
      nsSelect.append(h("option", { value: own }, own));
      nsSelect.value = own;
      route(ctx, main);
    });
  nsSelect.addEventListener("change", () => {
    sessionStorage.setItem(NS_KEY, nsSelect.value);
    route(ctx, main);
  });
  window.onhashchange = () => route(ctx, main);
  route(ctx, main);
}

function route(ctx: Ctx, main: HTMLElement): void {
  if (typeof cleanup === "function") cleanup();
  cleanup = undefined;
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [kind, ...params] = parts;
  const views: Record<string, View> = { "": overviewView, r: listView, o: detailView, new: createView };
  const view = views[kind ?? ""] ?? overviewView;
  clear(main);
  try {
    cleanup = view(ctx, main, params);
  } catch (err) {
    clear(main, h("p", { class: "error" }, (err as Error).message));
  }
}

function logout(): void {
  if (typeof cleanup === "function") cleanup();
  sessionStorage.removeItem(TOKEN_KEY);
  window.onhashchange = null;
  location.hash = "";
  loginView();
}

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void start(saved);
else loginView();
