// Whatever bytes arrive, the decoder either returns an object or throws a 400 StatusError:
// never another exception, never a hang.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { StatusError } from "../../apis/errors.ts";
import { decodeKubeProtobuf, PROTOBUF_MAGIC } from "./index.ts";
import { bodyBytes, KUBECTL_BODIES } from "./kubectl-bodies.fixture.ts";

/** "ok" when the body decoded to an object, "400" when it was refused as a bad request. */
function outcome(bytes: Uint8Array): "ok" | "400" {
  try {
    const { object } = decodeKubeProtobuf(bytes);
    expect(typeof object).toBe("object");
    JSON.stringify(object); // must be plain JSON data
    return "ok";
  } catch (err) {
    if (err instanceof StatusError && err.status.code === 400) return "400";
    throw err;
  }
}

const bodies = Object.values(KUBECTL_BODIES).map(bodyBytes);
const withMagic = (tail: Uint8Array) => Uint8Array.from([...PROTOBUF_MAGIC, ...tail]);

describe("protobuf decoder fuzzing", () => {
  test("random bytes without the envelope prefix are 400", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        fc.pre(!(bytes[0] === 0x6b && bytes[1] === 0x38 && bytes[2] === 0x73 && bytes[3] === 0));
        expect(outcome(bytes)).toBe("400");
      }),
      { numRuns: 1000 },
    );
  });

  test("random bytes after the envelope prefix decode or are 400", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (tail) => {
        outcome(withMagic(tail));
      }),
      { numRuns: 3000 },
    );
  });

  test("every truncation of every captured kubectl body decodes or is 400", () => {
    let refused = 0;
    for (const body of bodies) {
      for (let n = 0; n < body.byteLength; n++) if (outcome(body.subarray(0, n)) === "400") refused++;
    }
    // Most cuts land inside a length-delimited field, which protobuf can tell apart from the end.
    expect(refused).toBeGreaterThan(bodies.reduce((sum, b) => sum + b.byteLength, 0) / 2);
  });

  test("random byte edits of captured kubectl bodies decode or are 400", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bodies),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")), { minLength: 1, maxLength: 4 }),
        (body, edits) => {
          const bytes = [...body];
          for (const [at, value, op] of edits) {
            const i = 4 + (at % Math.max(1, bytes.length - 4)); // keep the magic so the payload gets decoded
            if (op === "set") bytes[i] = value;
            else if (op === "insert") bytes.splice(i, 0, value);
            else bytes.splice(i, 1);
          }
          outcome(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
