// The built UI (src-renderer/dist) as both shells serve it: Electron through its app:// protocol,
// browser mode over HTTP. One lookup that cannot leave the folder, one content-type table, and
// one Content-Security-Policy, so the two shells cannot drift apart.
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { findAppFile } from './app-files.js';

/** The built UI's folder, or undefined when the renderer build has not run. */
export function rendererDir(): string | undefined {
  const index = findAppFile('src-renderer/dist/index.html');
  return index && dirname(index);
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface RendererFile {
  body: Buffer;
  contentType: string;
}

/** `urlPath` as the browser sent it ("/", "/assets/index-1a2b.js"); never escapes `dir`. */
export async function readRendererFile(dir: string, urlPath: string): Promise<RendererFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const path = normalize(join(dir, relative));
  if (!path.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
  const contentType = contentTypes[extname(path)];
  if (!contentType) return undefined;
  try {
    return { body: await readFile(path), contentType };
  } catch {
    return undefined;
  }
}

/**
 * Scripts and styles only from our own files, nothing inline, no frames, no forms. `connect` lists
 * the only place the page may open a connection: browser mode's WebSocket; nothing in Electron.
 */
export function contentSecurityPolicy(connect: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.length > 0 ? connect.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every UI response carries, in both shells. */
export function securityHeaders(connect: string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(connect),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}
