// Container health check (compose): GET http://127.0.0.1:$HTTP_PORT<path>, exit 0 on a 2xx.
// Usage: node /app/deploy/docker/healthcheck.mjs [/health/ready]
const path = process.argv[2] ?? '/health/ready';
const port = process.env.HTTP_PORT;
if (!port) {
  process.stderr.write('healthcheck: HTTP_PORT is not set\n');
  process.exit(2);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`healthcheck: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
