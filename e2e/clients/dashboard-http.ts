// HTTP to a dashboard from inside its host's namespace, where it listens: a tiny fetch in a node
// process run there, so the test sees what a browser or script on that machine would.
import type { Host } from '../lab/index.js';

export interface DashboardAnswer {
  status: number;
  /** The JSON body, or {} when the body is not JSON. */
  body: Record<string, unknown>;
  /** The Set-Cookie header, if any. */
  cookie: string | null;
  text: string;
}

export async function dashboardRequest(
  host: Host,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<DashboardAnswer> {
  const script = `const [m, u, h, b] = process.argv.slice(1);
fetch(u, { method: m, headers: JSON.parse(h), body: b || undefined }).then(async (r) => {
  const text = await r.text();
  let body = {};
  try { body = JSON.parse(text); } catch {}
  console.log(JSON.stringify({ status: r.status, body, cookie: r.headers.get('set-cookie'), text }));
});`;
  const result = await host.exec([
    process.execPath,
    '-e',
    script,
    method,
    `http://127.0.0.1${path}`,
    JSON.stringify({ 'Content-Type': 'application/json', ...headers }),
    body === undefined ? '' : JSON.stringify(body),
  ]);
  return JSON.parse(result.stdout) as DashboardAnswer;
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
