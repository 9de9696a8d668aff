// Bun's built-in server. Usage: bun bun.js PORT [HOST]
Bun.serve({
  port: Number(process.argv[2]),
  hostname: process.argv[3] || '127.0.0.1',
  fetch() {
    return new Response('Hello, World!', { headers: { 'Content-Type': 'text/plain' } });
  },
});
