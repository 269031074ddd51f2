import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiGatewayRequestOptions {
  readonly token?: string;
  /** A Buffer travels base64-encoded with isBase64Encoded, as API Gateway sends binary bodies. */
  readonly body?: Buffer | string;
  readonly query?: string;
  readonly headers?: Record<string, string>;
}

/** An API Gateway HTTP API event (payload format 2.0), as the integration delivers it to the API Lambda. */
export const apiGatewayEvent = (method: string, path: string, options: ApiGatewayRequestOptions = {}): APIGatewayProxyEventV2 => {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { host: 'api.example.com', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: Buffer.isBuffer(options.body),
    ...(options.body === undefined ? {} : { body: Buffer.isBuffer(options.body) ? options.body.toString('base64') : options.body }),
  };
};
