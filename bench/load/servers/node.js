// Node's own http server, the peer the published experiment measured. Usage: node node.js PORT [HOST]
const http = require('http');
const body = 'Hello, World!';
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), process.argv[3] || '127.0.0.1');
