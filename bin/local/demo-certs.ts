// Two self-signed certificates for `portquorum local --demo diverged` (loopback only; made once with openssl, valid
// 100 years): the one every region is served, and the stale one a single region's namespace serves instead.
// The private keys are public on purpose: they protect nothing but a demo on 127.0.0.1.

export const DEMO_CERTIFICATES = {
  current: {
    cert: `-----BEGIN CERTIFICATE-----
MIIBtzCCAV6gAwIBAgIUU90iJjo4jqzsyj1eySehybx8j/YwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXcG9ydHF1b3J1bSBkZW1vIGN1cnJlbnQwIBcNMjYxMjAyMTg1
ODAwWhgPMjEyNjExMDgxODU4MDBaMCIxIDAeBgNVBAMMF3BvcnRxdW9ydW0gZGVt
byBjdXJyZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBa8ujtYUdLV4vDQf
5njelm9qJBDHQwCUtn+uxcfvzv0ZmoF4yayw+8vpy+Rk62rK5TMHUjrH54ufRjSa
gwoR0qNwMG4wHQYDVR0OBBYEFFPXTdmr+6GYX18j2m/dIidOsRDnMB8GA1UdIwQY
MBaAFFPXTdmr+6GYX18j2m/dIidOsRDnMA8GA1UdEwEB/wQFMAMBAf8wGwYDVR0R
BBQwEoIQd3d3LmRlbW8uaW52YWxpZDAKBggqhkjOPQQDAgNHADBEAiBhCDBw7vcR
YjPjxzzeYArTRL0WJczqqOdJPRygsJWtrwIgSCYBcwkPcVfxZ4iCgMKOCb/Lmunu
yVj8E6cd+zUsBOo=
-----END CERTIFICATE-----
`,
    key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYLf3ILC9w4sD3Jtd
09i/k8ZEEauexfKclmOewSlAL66hRANCAAQFry6O1hR0tXi8NB/meN6Wb2okEMdD
AJS2f67Fx+/O/RmagXjJrLD7y+nL5GTrasrlMwdSOsfni59GNJqDChHS
-----END PRIVATE KEY-----
`,
  },
  stale: {
    cert: `-----BEGIN CERTIFICATE-----
MIIBtDCCAVqgAwIBAgIUZo7RaAFMl6LuDoJmgbFB2zVRHe8wCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVcG9ydHF1b3J1bSBkZW1vIHN0YWxlMCAXDTI2MTIwMjE4NTgw
MFoYDzIxMjYxMTA4MTg1ODAwWjAgMR4wHAYDVQQDDBVwb3J0cXVvcnVtIGRlbW8g
c3RhbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASV7SfOD4VLa/VTQzw+oLLP
HkIQq+h+KXo9Sf1QgKzOwxG9A2AKfiK1jhQEO4Hl/IS47GJ7kTHfkOJVQ1OA1iqZ
o3AwbjAdBgNVHQ4EFgQUZW3y/p8Q9kyta0KZIaMgETZ+jVUwHwYDVR0jBBgwFoAU
ZW3y/p8Q9kyta0KZIaMgETZ+jVUwDwYDVR0TAQH/BAUwAwEB/zAbBgNVHREEFDAS
ghB3d3cuZGVtby5pbnZhbGlkMAoGCCqGSM49BAMCA0gAMEUCIQCUqatrNf9SjJlA
HIrxvHSqiCxh7yUDKDMRGRiOI/KVzwIgWBkAAFd3IVIfQWPb+ZIeg7n6ghEaqOw/
8XTuAo1c2YM=
-----END CERTIFICATE-----
`,
    key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguppakN66AFlM6FTN
yNJmhR0As30fZM8VUDYR6GEhUJehRANCAASV7SfOD4VLa/VTQzw+oLLPHkIQq+h+
KXo9Sf1QgKzOwxG9A2AKfiK1jhQEO4Hl/IS47GJ7kTHfkOJVQ1OA1iqZ
-----END PRIVATE KEY-----
`,
  },
} as const;

export type DemoCertificate = keyof typeof DEMO_CERTIFICATES;
