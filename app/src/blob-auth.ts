/**
 * The signed blob upload: the EIP-191 message an active member signs to `PUT /blobs/<hash>`, and the
 * largest clock skew the gateway accepts. Shared by the app and the development service.
 */

/** Seconds an upload signature stays acceptable either side of the gateway's clock. */
export const BLOB_UPLOAD_MAX_SKEW_S = 300;

/** The text signed with `personal_sign` for an upload of `hash` by `account` at unix time `time`. */
export function blobUploadMessage(hash: string, account: string, time: number): string {
  return `CareLedger blob upload\nhash: ${hash.toLowerCase()}\naccount: ${account}\ntime: ${time}`;
}
