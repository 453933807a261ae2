/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The window loads the built files from inside the app (tauri://localhost); the dev server is
// only for `tauri dev`. No source maps with eval, nothing loaded from elsewhere: the CSP forbids it.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    // A test may wait up to 10 s for its condition (src/test/setup.ts) on a busy machine; the
    // default 5 s for the whole test would end it first.
    testTimeout: 30_000,
  },
});
