/**
 * The blob gateway seen from the browser: a `BlobStore` over `GET/PUT /blobs/<hash>`. Reads are verified
 * against their hash; uploads are signed by the member's wallet (EIP-191, {@link blobUploadMessage}).
 */
import {
  blobId,
  IntegrityError,
  NotFoundError,
  verifyBlob,
  type BlobStore,
} from "../../src/browser.js";
import { blobUploadMessage } from "./blob-auth.js";

/** Signs an upload message with the connected wallet. */
export type UploadSigner = (message: string) => Promise<string>;

/** A `BlobStore` on the gateway at `baseUrl`. */
export class GatewayBlobStore implements BlobStore {
  constructor(
    private readonly baseUrl: string,
    private readonly account: string,
    private readonly sign: UploadSigner,
  ) {}

  async put(bytes: Uint8Array): Promise<`0x${string}`> {
    const hash = blobId(bytes);
    if (await this.has(hash)) return hash;
    const time = Math.floor(Date.now() / 1000);
    const signature = await this.sign(blobUploadMessage(hash, this.account, time));
    const response = await fetch(`${this.baseUrl}/blobs/${hash}`, {
      method: "PUT",
      headers: {
        "content-type": "application/octet-stream",
        "x-careledger-account": this.account,
        "x-careledger-signature": signature,
        "x-careledger-time": String(time),
      },
      body: bytes as BodyInit,
    });
    if (!response.ok) {
      throw new IntegrityError(`blob gateway refused the upload: ${await reason(response)}`);
    }
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    const id = hash.toLowerCase() as `0x${string}`;
    const response = await fetch(`${this.baseUrl}/blobs/${id}`);
    if (response.status === 404)
      throw new NotFoundError("blob", id, `blob ${id} is not on the blob gateway`);
    if (!response.ok) throw new IntegrityError(`blob gateway: ${await reason(response)}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    verifyBlob(id, bytes, "blob gateway");
    return bytes;
  }

  async has(hash: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/blobs/${hash.toLowerCase()}`, { method: "HEAD" });
    return response.ok;
  }
}

async function reason(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: string; message?: string };
    return parsed.error ?? parsed.message ?? text;
  } catch {
    return `${response.status} ${text.slice(0, 200)}`;
  }
}
