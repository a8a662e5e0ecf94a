/** Types of build.mjs (the page's esbuild build). */
export declare const repoRoot: string;
export declare const noNodeBuiltins: { name: string; setup(build: unknown): void };
export interface BuildWebOptions {
  /** Default: dist/web under the repository root. */
  outdir?: string;
  /** Bundle another entry (no static files copied); default: the page, apps/web/main.ts. */
  entry?: string;
  minify?: boolean;
  sourcemap?: boolean;
}
export interface BuildWebResult {
  outdir: string;
  files: string[];
  /** Source files in the bundle, relative to the repository root. */
  inputs: string[];
  warnings: string[];
}
export declare function buildWeb(options?: BuildWebOptions): Promise<BuildWebResult>;
