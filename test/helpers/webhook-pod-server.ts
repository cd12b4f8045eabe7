// The program of the webhook test image (webhook-image.ts): an HTTPS admission webhook served by
// a pod. /validate refuses objects labelled deny=true; /mutate adds the label mutated-by=pod.
// Its serving certificate and key come in the TLS_CERT and TLS_KEY environment variables.
type Review = { request: { uid: string; object?: { metadata?: { labels?: Record<string, string> } } } };

const answer = (review: Review, response: Record<string, unknown>) =>
  Response.json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: review.request.uid, ...response } });

Bun.serve({
  port: Number(process.env.PORT ?? 8443),
  tls: { cert: process.env.TLS_CERT, key: process.env.TLS_KEY },
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") return new Response("ok");
    const review = (await req.json()) as Review;
    const labels = review.request.object?.metadata?.labels;
    if (path === "/validate") {
      if (labels?.deny === "true") return answer(review, { allowed: false, status: { code: 403, reason: "Forbidden", message: "refused by the webhook pod" } });
      return answer(review, { allowed: true });
    }
    if (path === "/mutate") {
      const op = labels ? { op: "add", path: "/metadata/labels/mutated-by", value: "pod" } : { op: "add", path: "/metadata/labels", value: { "mutated-by": "pod" } };
      return answer(review, { allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify([op])).toString("base64") });
    }
    return new Response("not found", { status: 404 });
  },
});
console.log("webhook serving");
