// Express 4 reference routes for bench/api.py --express: the same two answers as bench/bare_app.py,
// with Express's own JSON body parser (Evolution API's framework and parser). Port: EXPRESS_PORT.
const express = require("express");

const app = express();
app.use(express.json({ limit: "100mb" }));

app.get("/", (_req, res) => res.json({ status: 200 }));

app.get("/instance/connectionState/:instanceName", (req, res) => {
  res.json({ instance: { instanceName: req.params.instanceName, state: "open" } });
});

app.post("/message/sendText/:instanceName", (req, res) => {
  const body = req.body || {};
  if (typeof body.number !== "string" || typeof body.text !== "string") {
    res.status(400).json({ status: 400, error: "Bad Request" });
    return;
  }
  res.status(201).json({
    key: { remoteJid: `${body.number}@s.whatsapp.net`, fromMe: true, id: "3EB0" + process.hrtime.bigint() },
    message: { conversation: body.text },
    messageTimestamp: Math.floor(Date.now() / 1000),
    status: "PENDING",
    instanceId: req.params.instanceName,
  });
});

app.listen(Number(process.env.EXPRESS_PORT || 3000), "127.0.0.1");
