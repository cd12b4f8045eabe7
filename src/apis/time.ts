// metav1.Time and metav1.MicroTime as Kubernetes writes them: RFC 3339 in UTC, whole seconds for
// Time (creationTimestamp, conditions, Event timestamps) and microseconds for MicroTime (a
// Lease's renewTime, an Event's eventTime). Anything finer would be dropped by a real API server
// on its next read, so every component writes what it would keep.

/** The last second formatted, and its text: a create stamps the same second two or three times. */
let lastSecond = NaN;
let lastText = "";

/** metav1.Time: "2006-01-02T15:04:05Z". */
export function formatTime(t: Date | number): string {
  const ms = typeof t === "number" ? t : t.getTime();
  const second = Math.floor(ms / 1000);
  // Past JavaScript's last date (or NaN) the Date below throws, as it always did.
  if (second !== lastSecond || !(Math.abs(ms) <= 8.64e15)) {
    lastText = `${new Date(t).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime: "2006-01-02T15:04:05.000000Z" (JavaScript clocks stop at milliseconds). */
export const formatMicroTime = (t: Date | number): string => `${new Date(t).toISOString().slice(0, 23)}000Z`;
