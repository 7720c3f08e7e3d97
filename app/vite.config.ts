/**
 * Vite configuration of the app (`app/`). `appViteConfig` is used by `scripts/app/stack.ts` (build and
 * preview, the service proxied under `/api`); the default export serves `vite app` during development.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { InlineConfig } from "vite";

export type { AppConfig } from "./src/config.js";

const APP_ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Options of {@link appViteConfig}. */
export interface AppViteOptions {
  /** Where the build goes (default `app/dist`). */
  readonly outDir?: string;
  /** The service proxied under `/api` by the preview and dev servers. */
  readonly serviceUrl?: string;
  /** The indexer proxied under `/indexer`. */
  readonly indexerUrl?: string | undefined;
}

function proxied(prefix: string, target: string) {
  return {
    target,
    changeOrigin: true,
    rewrite: (p: string) => p.slice(prefix.length),
  };
}

/** The Vite config of the app. */
export function appViteConfig(options: AppViteOptions = {}): InlineConfig {
  const proxy = {
    ...(options.serviceUrl === undefined ? {} : { "/api": proxied("/api", options.serviceUrl) }),
    ...(options.indexerUrl === undefined
      ? {}
      : { "/indexer": proxied("/indexer", options.indexerUrl) }),
  };
  return {
    configFile: false,
    root: APP_ROOT,
    base: "./",
    build: {
      outDir: options.outDir ?? path.join(APP_ROOT, "dist"),
      emptyOutDir: true,
      target: "es2022",
      chunkSizeWarningLimit: 2048,
    },
    preview: { host: "127.0.0.1", proxy },
    server: { host: "127.0.0.1", proxy },
  };
}

export default appViteConfig({
  ...(process.env.CARELEDGER_SERVICE_URL === undefined
    ? {}
    : { serviceUrl: process.env.CARELEDGER_SERVICE_URL }),
});
