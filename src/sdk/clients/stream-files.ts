/**
 * Node helpers for streamed records: a file as a `StreamedBody` for `createRecordStream`, and a
 * decrypted stream written to a file. Node only.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { StreamedBody } from "./records.js";

/** The file at `path` as a streamed record body (read in 1 MiB chunks). */
export async function bodyFromFile(path: string): Promise<StreamedBody> {
  const { size } = await stat(path);
  return { chunks: createReadStream(path, { highWaterMark: 1 << 20 }), length: size };
}

/** Write a decrypted body stream to `path` (created, or truncated). */
export async function bodyToFile(body: AsyncIterable<Uint8Array>, path: string): Promise<void> {
  await pipeline(Readable.from(body), createWriteStream(path));
}
