/**
 * Deployment manifests on disk (Node only): reading `deployments/<chainId>.json` and writing it after a
 * deploy. The format, its validation and `connectCareLedger` are in `./deployment.js`, which has no
 * Node import and is what a front end uses; everything there is re-exported here.
 */
import {
  DEFAULT_MANIFEST_DIR,
  ManifestError,
  manifestPath,
  parseManifest,
  type DeploymentManifest,
} from "./deployment.js";

export * from "./deployment.js";

/** Reads and validates a manifest file (Node only). */
export async function readManifest(file: string): Promise<DeploymentManifest> {
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ManifestError(`No deployment manifest at ${file}: deploy first (npm run deploy)`, {
      cause: error,
    });
  }
  try {
    return parseManifest(JSON.parse(text));
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(`${file}: ${error.message}`);
    throw new ManifestError(
      `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** The manifest of `chainId` in `dir` (Node only). */
export async function loadManifest(
  chainId: number,
  dir: string = DEFAULT_MANIFEST_DIR,
): Promise<DeploymentManifest> {
  return await readManifest(manifestPath(chainId, dir));
}

/** JSON text as the project's Prettier config formats it (so a committed manifest passes lint). */
async function formatJson(value: unknown, file: string): Promise<string> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, parser: "json", filepath: file });
  } catch {
    return text; // Prettier is a dev dependency; plain JSON is just as valid
  }
}

/** Writes a manifest atomically (temp file + rename), after validating it (Node only). */
export async function writeManifest(
  manifest: DeploymentManifest,
  dir: string = DEFAULT_MANIFEST_DIR,
): Promise<string> {
  const { mkdir, rename, writeFile } = await import("node:fs/promises");
  const checked = parseManifest(manifest);
  const file = manifestPath(checked.chainId, dir);
  await mkdir(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, await formatJson(checked, file), "utf8");
  await rename(temp, file);
  return file;
}
