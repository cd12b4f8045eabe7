import { expect, test } from "bun:test";
import { createCA, issueCertificate } from "./certificates.ts";
import { certificateHosts } from "./hosts.ts";

test("a certificate's hosts come back as it was issued for: names, IPv4, IPv6 in short form", async () => {
  const ca = await createCA();
  // The longest run of zero groups is the one shortened; a single zero group stays (RFC 5952).
  const hosts = ["10.1.2.3", "node-a", "::1", "fd00::5", "a.b.example.com", "2001:db8::1:0:0:1", "2001:db8:0:0:1::", "::", "fe80:0:1:2:3:4:5:6"];
  const { cert } = await issueCertificate(ca, { commonName: "x", hosts, usage: "server" });
  expect(certificateHosts(cert)).toEqual(hosts);
});

test("a certificate without subjectAltName covers no hosts", async () => {
  expect(certificateHosts((await createCA()).cert)).toEqual([]);
});
