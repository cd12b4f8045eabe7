// What every view is given: the API client, the catalog of served kinds, who is logged in, the
// namespace picked and a way to navigate.
import type { Api } from "./api.ts";
import type { Catalog } from "./catalog.ts";

export interface Ctx {
  api: Api;
  catalog: Catalog;
  user: string;
  /** The namespace picked, "" for all namespaces. */
  namespace(): string;
  go(hash: string): void;
}

export type View = (ctx: Ctx, main: HTMLElement, params: string[]) => (() => void) | void;
