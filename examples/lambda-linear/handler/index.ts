/**
 * The function behind the `live` alias. It answers with the version Lambda ran, so a
 * caller can see the traffic shift from one version to the next.
 */
interface FunctionUrlEvent {
  readonly rawPath: string
}

export const handler = async (event: FunctionUrlEvent) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ path: event.rawPath, version: process.env.AWS_LAMBDA_FUNCTION_VERSION }),
})
