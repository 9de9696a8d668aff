// The JavaScript peer of the boot benchmark: the same hello response on PORT (default 8080), 0.0.0.0.
// Node runs it with node:http; Bun with its own Bun.serve, the way Bun users write a server.
const port = Number(process.env.PORT ?? 8080);
const body = "Hello, World!";
const headers = { "Content-Type": "text/plain", "Connection": "close" };
if (typeof Bun !== "undefined") {
  Bun.serve({ port, hostname: "0.0.0.0", fetch: () => new Response(body, { headers }) });
} else {
  const http = await import("node:http");
  http.createServer((req, res) => {
    res.writeHead(200, { ...headers, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  }).listen(port, "0.0.0.0");
}
process.on("SIGTERM", () => process.exit(0));
