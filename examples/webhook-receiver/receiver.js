// Receives mpower's webhook notifications and verifies each one with the
// Standard Webhooks reference library (npm `standardwebhooks`), as any
// receiver should before trusting a byte of it.
//
//   MPOWER_WEBHOOK_SECRET=whsec_... PORT=8080 node receiver.js
//
// It listens on 127.0.0.1 in plain HTTP, as a service behind a TLS proxy
// does; mpowerd itself sends webhooks over https only (plain http only to a
// loopback host, with mpowerd --notify-allow-http-loopback).
import http from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.env.MPOWER_WEBHOOK_SECRET;
if (!secret) {
  console.error("set MPOWER_WEBHOOK_SECRET to the signing secret `mpower subscriptions create` showed");
  process.exit(2);
}
const verifier = new Webhook(secret);
// Each message id once: mpowerd delivers at least once, so a message may
// come again after a retry or a restart.
const seen = new Set();

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      // Checks the HMAC-SHA256 signature and that the timestamp is recent;
      // throws otherwise.
      event = verifier.verify(body, request.headers);
    } catch (error) {
      console.log(`rejected: ${error.message}`);
      response.writeHead(400).end("bad signature\n");
      return;
    }
    const id = request.headers["webhook-id"];
    if (seen.has(id)) {
      console.log(`duplicate ${id}, already handled`);
    } else {
      seen.add(id);
      const data = event.data ?? {};
      console.log(`verified ${event.type} ${data.name ?? data.subscription ?? ""} revision ${data.revision}`);
    }
    response.writeHead(204).end();
  });
});

server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
