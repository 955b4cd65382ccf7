/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API under /console (api/console.py); `npm run dev` proxies the API.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  server: {
    proxy: { "/v1": "http://127.0.0.1:8000" },
  },
  build: { outDir: "dist", sourcemap: false },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
