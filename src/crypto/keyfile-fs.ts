/**
 * Node helpers to save and load key files on disk (atomic, owner-only permissions).
 * Browser code uses `encryptKeyFile` / `decryptKeyFile` from `keyfile.ts` directly.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { NotFoundError } from "../errors.js";
import { ensureDirectory, writeFileAtomic } from "../store/atomic-fs.js";
import {
  decryptKeyFile,
  encryptKeyFile,
  parseKeyFile,
  serializeKeyFile,
  type EncryptKeyFileOptions,
  type KeyFile,
} from "./keyfile.js";
import type { BytesInput } from "./bytes.js";
import type { MemberKeyPair } from "./keys.js";

/** Options of {@link saveKeyFile}. */
export interface SaveKeyFileOptions extends EncryptKeyFileOptions {
  /** Replace an existing file at `path` (default `false`: an existing file is an `EEXIST` error). */
  readonly overwrite?: boolean;
}

/**
 * Encrypt `privateKey` under `passphrase` and write the key file to `path` atomically with mode
 * 0600. Refuses to replace an existing file unless `overwrite` is set (a lost key file means lost
 * access to every record wrapped to that key).
 */
export async function saveKeyFile(
  path: string,
  privateKey: BytesInput,
  passphrase: string,
  options: SaveKeyFileOptions = {},
): Promise<KeyFile> {
  const file = await encryptKeyFile(privateKey, passphrase, options);
  await writeKeyFile(path, file, options.overwrite ?? false);
  return file;
}

/** Write an already-encrypted key file to `path` atomically (mode 0600). */
export async function writeKeyFile(
  path: string,
  keyFile: KeyFile,
  overwrite = false,
): Promise<void> {
  const full = resolve(path);
  await ensureDirectory(dirname(full));
  await writeFileAtomic(full, serializeKeyFile(keyFile), { mode: 0o600, overwrite });
}

/**
 * Read and validate a key file without decrypting it (e.g. to show its public key).
 *
 * @throws NotFoundError when there is no file at `path`; InvalidKeyFileError when it is malformed.
 */
export async function readKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new NotFoundError("key file", path, undefined, { cause: error });
    }
    throw error;
  }
  return parseKeyFile(text);
}

/**
 * Read and decrypt the key file at `path`.
 *
 * @throws WrongPassphraseError on a wrong passphrase; NotFoundError / InvalidKeyFileError as
 *   {@link readKeyFile}.
 */
export async function loadKeyFile(path: string, passphrase: string): Promise<MemberKeyPair> {
  return decryptKeyFile(await readKeyFile(path), passphrase);
}
