// For tests: the StatusError a call throws (anything else fails the test).
import { StatusError } from "./errors.ts";

export function statusErrorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}
