// A small price API. Its JSON is a contract with the apps that call it: a release may add
// fields, but renaming or retyping one breaks every caller.
//
//   GET /healthz        200 {"status":"ok"}
//   GET /api/price      200 {"sku":"A-1","price":1999,"currency":"EUR","version":…}
//
//   APP_VERSION         version to report
//   PRICE_FIELD=amount  renames "price" (a breaking change that every status check misses)
//   WITH_DISCOUNT=1     adds "discount" (a compatible change)
import { createServer } from "node:http"

const version = process.env.APP_VERSION ?? "0.0.0"
const priceField = process.env.PRICE_FIELD ?? "price"

const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname
  const body =
    path === "/healthz"
      ? { status: "ok" }
      : {
          sku: "A-1",
          [priceField]: 1999,
          currency: "EUR",
          ...(process.env.WITH_DISCOUNT === "1" ? { discount: { percent: 10 } } : {}),
          version,
        }
  res.writeHead(200, { "content-type": "application/json", "x-app-version": version })
  res.end(JSON.stringify(body))
})
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1")

process.on("SIGTERM", () => {
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})
