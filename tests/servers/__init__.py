"""Real servers on loopback for the tests: moto's standalone server (S3, Secrets Manager)
and an OpenBao dev server. Each starts once per test session (per xdist worker) on a free
port and is skipped with a loud reason only when its binary is not installed."""
