export interface ConsoleBannerInput {
  /** The HTTP server's URL as the runtime reports it (http://127.0.0.1:8080). */
  readonly url: string;
  /** Whether the console folder holds a build (serveDashboard.ts `dashboardBuilt`). */
  readonly built: boolean;
  readonly dashboardDir: string;
  /** FLEET_CONSOLE_LOCAL_SIGN_IN. */
  readonly localSignIn: boolean;
}

/** A wildcard listener is reached on this machine as localhost: the role picker needs a loopback name anyway. */
const browsable = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0' || parsed.hostname === '[::]') parsed.hostname = 'localhost';
  return `${parsed.origin}/`;
};

const TOKEN_HINT = 'npm run fleet -- token --role <admin|operator|viewer>';

/** The start-up banner's lines about the web console, after a blank line: where it is and how to sign in, or how to build it. */
export const consoleBanner = (input: ConsoleBannerInput): string => {
  const url = browsable(input.url);
  if (!input.built) {
    return ['', `Console: not built (no index.html in ${input.dashboardDir}).`, `  Run npm run build:web, then open ${url}. The API works without it.`, ''].join('\n');
  }
  const signIn = input.localSignIn
    ? [`  Sign in: pick a role (admin, operator, viewer) in a browser on this machine,`, `           or paste a token from ${TOKEN_HINT}.`]
    : [`  Sign in: paste a token from ${TOKEN_HINT}`, `           (the role picker is off: FLEET_CONSOLE_LOCAL_SIGN_IN=false).`];
  return ['', `Console: ${url}`, ...signIn, ''].join('\n');
};
