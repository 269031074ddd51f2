import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { FastifyInstance, InjectOptions } from 'fastify';

/** Response types sent as text; anything else goes back base64-encoded, byte for byte. */
const TEXT = /^(text\/|application\/(json|problem\+json|xml|javascript|csv|x-ndjson)|[^;]*\+json)/i;

/** An API Gateway HTTP API request (payload format 2.0) as the fastify app's request. */
export const toInjectRequest = (event: APIGatewayProxyEventV2): InjectOptions => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name] = value;
  // Format 2.0 moves cookies out of the headers.
  if (event.cookies && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  return {
    method: event.requestContext.http.method,
    url: event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath,
    headers,
    ...(body === undefined ? {} : { payload: body }),
    remoteAddress: event.requestContext.http.sourceIp,
  };
};

/**
 * The Lambda handler behind the HTTP API: each request goes through the whole fastify app
 * (`inject`: hooks, the permission table, validation, problem+json), so the AWS API answers exactly
 * as the embedded server does. The app is built once per container.
 */
export const httpApiHandler =
  (app: Promise<FastifyInstance>) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    // A CORS preflight that API Gateway forwards (the console's `OPTIONS /{proxy+}` route) is answered
    // here, before the permission table, which governs real calls only: the gateway adds the CORS
    // headers of its own configuration and ignores any a Lambda sets.
    if (event.requestContext.http.method === 'OPTIONS') return { statusCode: 204, headers: {}, body: '' };
    const response = await (await app).inject(toInjectRequest(event));
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      if (name === 'set-cookie') cookies.push(...[value].flat().map(String));
      else headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const text = TEXT.test(String(response.headers['content-type'] ?? 'application/json'));
    return {
      statusCode: response.statusCode,
      headers,
      ...(cookies.length > 0 ? { cookies } : {}),
      body: text ? response.body : response.rawPayload.toString('base64'),
      isBase64Encoded: !text,
    };
  };
