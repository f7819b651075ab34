// Connect with socket.io-client v4 to one namespace and print what arrives, one JSON line each:
//   {"type":"connected"} | {"type":"event","event":..,"payload":..} | {"type":"refused","message":..}
// Usage: node sio_listen.mjs <url> <namespace> <apikey> <events-to-wait-for> <timeout-ms> <transport,...>
import { io } from "socket.io-client";

const [url, namespace, apikey, wanted, timeoutMs, transports] = process.argv.slice(2);
const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const socket = io(url + namespace, {
  auth: apikey ? { apikey } : undefined,
  transports: (transports || "websocket").split(","),
  reconnection: false,
});
let count = 0;
const finish = (code) => { socket.close(); process.exit(code); };
setTimeout(() => { out({ type: "timeout", received: count }); finish(2); }, Number(timeoutMs || 10000));
socket.on("connect", () => out({ type: "connected" }));
socket.on("connect_error", (err) => { out({ type: "refused", message: err.message }); finish(0); });
socket.onAny((event, payload) => {
  out({ type: "event", event, payload });
  count += 1;
  if (count >= Number(wanted)) finish(0);
});
