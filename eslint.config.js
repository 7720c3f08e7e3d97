// ESLint over the TypeScript library, tests, tasks, scripts and bench: typescript-eslint's type-aware
// recommended rules (https://typescript-eslint.io/getting-started/typed-linting).
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: [
      "node_modules/**",
      "dist/**",
      "artifacts/**",
      "artifacts-evm/**",
      "cache/**",
      "coverage/**",
      "typechain-types/**",
      "ignition/deployments/**",
      "indexer/**",
      "bench-results/**",
      "**/*.js",
      "**/*.cjs",
      "**/*.mjs",
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      // A rejection passed through untouched (`promise.then(…, (error: unknown) => reject(error))`) keeps
      // whatever the first promise rejected with; every new rejection is still an Error.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    // Chai's property assertions (`expect(x).to.be.true`, `.to.be.empty`) are expressions by design:
    // the getter asserts. Only the specs use them.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
);
