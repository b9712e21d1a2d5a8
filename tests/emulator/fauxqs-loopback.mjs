// Starts the fauxqs SQS/SNS/S3 emulator for integration tests, bound to loopback only.
//
//   node tests/emulator/fauxqs-loopback.mjs
//
// - Listens on 127.0.0.1 and a free port chosen by the OS (never 0.0.0.0; fauxqs's own CLI binds every interface).
// - Prints exactly one line of JSON to stdout when ready: {"port":12345}. Nothing else goes to stdout.
// - Exits when its standard input closes (the parent died or let go of the pipe) or on SIGTERM/SIGINT,
//   so a crashed test run does not leave it behind. Run it with stdin open (a pipe or a terminal).
//
// Queue URLs: fauxqs's SqsStore defaults its `host` to "localhost", which makes CreateQueue answer
// http://sqs.<region>.localhost:<port>/000000000000/<name>. `buildApp({ host })` only overrides a
// non-empty host, so we hand buildApp an SqsStore whose host is empty: queue URLs are then built from
// the request's Host header, i.e. http://127.0.0.1:<port>/000000000000/<name> for clients that use
// the ServiceUrl we print. fauxqs looks queues up by exact URL, so use the URL CreateQueue/GetQueueUrl return.
import { buildApp } from "fauxqs";

// SqsStore is not in fauxqs's public exports; load it by file URL next to the package entry point.
// fauxqs is pinned to an exact version in package.json, so this internal path is stable.
const { SqsStore } = await import(new URL("./sqs/sqsStore.js", import.meta.resolve("fauxqs")).href);

const sqsStore = new SqsStore();
sqsStore.host = "";

const app = buildApp({
  logger: false,
  defaultRegion: "us-east-1",
  stores: { sqsStore },
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
  } catch (err) {
    process.stderr.write(`fauxqs-loopback: close failed: ${err?.stack ?? err}\n`);
  }
  process.exit(code);
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
process.stdin.on("end", () => void stop(0));
process.stdin.on("close", () => void stop(0));
process.stdin.on("error", () => void stop(0));
process.stdin.resume();

try {
  await app.listen({ port: 0, host: "127.0.0.1" });
} catch (err) {
  process.stderr.write(`fauxqs-loopback: listen failed: ${err?.stack ?? err}\n`);
  process.exit(1);
}

const address = app.server.address();
if (!address || typeof address !== "object" || address.address !== "127.0.0.1") {
  process.stderr.write(`fauxqs-loopback: unexpected listen address ${JSON.stringify(address)}\n`);
  await stop(1);
}
process.stdout.write(JSON.stringify({ port: address.port }) + "\n");
