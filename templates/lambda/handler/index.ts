/**
 * The function: answers HTTP requests arriving through the function URL or the HTTP API
 * (both send API Gateway's payload format 2.0). Replace it with your own.
 *
 * `pulumi up` bundles this file with esbuild into a byte-for-byte reproducible zip, so a
 * deployment publishes a new version only when the code changed.
 */

/** The parts of an HTTP event (payload format 2.0) this handler reads. */
export interface HttpEvent {
  readonly rawPath: string
  readonly rawQueryString?: string
  readonly headers?: Readonly<Record<string, string | undefined>>
  readonly requestContext: { readonly http: { readonly method: string } }
  readonly body?: string
  readonly isBase64Encoded?: boolean
}

/** What the front door turns into an HTTP response. */
export interface HttpResult {
  readonly statusCode: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
})

/**
 * The entry point Lambda calls.
 *
 * @example
 * await handler({ rawPath: "/", requestContext: { http: { method: "GET" } } })
 * // { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"message":"Hello from slipway-lambda",…}' }
 */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const method = event.requestContext.http.method
  if (event.rawPath === "/healthz") return json(200, { status: "ok" })
  if (event.rawPath === "/" && (method === "GET" || method === "HEAD")) {
    // The version that served the request: during a canary, some answers come from the new one.
    return json(200, {
      message: "Hello from slipway-lambda",
      version: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? "dev",
    })
  }
  return json(404, { error: `no route for ${method} ${event.rawPath}` })
}
