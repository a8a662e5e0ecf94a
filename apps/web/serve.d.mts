/** Types of serve.mjs (the page's cross-origin isolated static server). */
import type { Server } from 'node:http';
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;
export declare function serveWeb(options?: { root?: string; port?: number; host?: string }): Promise<Server>;
