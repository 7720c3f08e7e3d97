/**
 * The service against a real node: anvil out of process and the real Fastify service on loopback port
 * 0. The relay (idempotency, also under concurrency; rate limit; every 4xx reason; an on-chain refusal
 * decoded), the blob gateway (signed PUT refused for each reason, GET verified, DELETE of a record not
 * erased) and `HttpBlobStore` against it. Events are counted on chain, not taken from the service.
 */
import { expect } from "chai";
import { chmod, writeFile } from "node:fs/promises";
import { toUtf8Bytes, type Wallet } from "ethers";
import {
  BLOB_REQUEST_HEADERS,
  BlobRequestRefusedError,
  FsBlobStore,
  HttpBlobStore,
  IntegrityError,
  NotFoundError,
  blobRequestMessage,
  contentHash,
  prepareRevoke,
  serializeSignedConsent,
  signRevoke,
  type BlobRequestMethod,
} from "../../src/node.js";
import { createService, type Service } from "../../service/index.js";
import { skipUnderCoverage } from "../helpers/coverage.js";
import { startServiceWorld, type ServiceWorld } from "../helpers/service.js";
import { rejection } from "../helpers/index.js";

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & {
    error?: { code: string; message: string; field?: string; errorName?: string };
  };
}

describe("service: consent relay and blob gateway (anvil, real service on loopback)", function () {
  skipUnderCoverage();
  this.timeout(120_000);

  let world: ServiceWorld;
  let url: string;

  before(async function () {
    world = await startServiceWorld({ patients: 48 });
    url = world.service.url;
  });

  after(async function () {
    await world?.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    base = url,
  ): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === "" ? {} : (JSON.parse(text) as Answer["body"]),
    };
  }

  const relay = (body: unknown, base = url) => call("POST", "/consents", body, {}, base);

  async function relayedCount(patient: string): Promise<number> {
    const logs = await world.ledger.queryFilter(
      world.ledger.filters.ConsentRelayed(patient),
      world.fromBlock,
    );
    return logs.length;
  }

  describe("relay", function () {
    it("relays a signed grant: 202 mined with the transaction, the status URL reports it", async function () {
      const patient = world.patients[0]!;
      const signed = await world.signGrant(patient);
      const answer = await relay(JSON.parse(serializeSignedConsent(signed)));
      expect(answer.status).to.equal(202);
      expect(answer.body.status).to.equal("mined");
      expect(answer.body.txHash).to.match(/^0x[0-9a-f]{64}$/);
      const receipt = await world.provider.getTransactionReceipt(answer.body.txHash as string);
      expect(receipt?.from).to.equal(world.relayer.address);
      const status = await call("GET", answer.body.statusUrl as string);
      expect(status.status).to.equal(200);
      expect(status.body).to.include({ status: "mined", txHash: answer.body.txHash });
      expect(status.body.blockNumber).to.equal(receipt?.blockNumber);
      expect(await relayedCount(patient.address)).to.equal(1);
      const grant = await world.ledger.consentOf(patient.address, world.doctor.address);
      expect(grant.expiresAt).to.equal(signed.message.expiresAt);
    });

    it("the same signature twice, then five times at once: one transaction", async function () {
      const patient = world.patients[1]!;
      const body = serializeSignedConsent(await world.signGrant(patient));
      const first = await relay(body);
      const again = await relay(body);
      expect(first.status).to.equal(202);
      expect(again.status).to.equal(202);
      expect(again.body.txHash).to.equal(first.body.txHash);
      expect(await relayedCount(patient.address)).to.equal(1);

      const other = world.patients[2]!;
      const concurrent = serializeSignedConsent(await world.signGrant(other));
      const answers = await Promise.all(Array.from({ length: 5 }, () => relay(concurrent)));
      expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 202, 202, 202]);
      expect(new Set(answers.map((a) => a.body.txHash)).size).to.equal(1);
      expect(await relayedCount(other.address)).to.equal(1);
    });

    it("40 patients relayed concurrently from one relayer account: 40 transactions, none lost or doubled", async function () {
      const patients = world.patients.slice(8, 48);
      const bodies = await Promise.all(
        patients.map(async (p) => serializeSignedConsent(await world.signGrant(p))),
      );
      const answers = await Promise.all(bodies.map((b) => relay(b)));
      expect(answers.every((a) => a.status === 202 && a.body.status === "mined")).to.equal(true);
      expect(new Set(answers.map((a) => a.body.txHash)).size).to.equal(40);
      const counts = await Promise.all(patients.map((p) => relayedCount(p.address)));
      expect(counts).to.deep.equal(patients.map(() => 1));
    });

    it("rate-limits per patient: 429 with the reason, other patients unaffected", async function () {
      const limited: Service = await createService({
        provider: world.provider,
        contractAddress: await world.ledger.getAddress(),
        relayer: world.relayer,
        blobDir: world.blobDir,
        rateLimit: { perPatientPerMinute: 2 },
      });
      try {
        await limited.app.listen({ host: "127.0.0.1", port: 0 });
        const address = limited.app.server.address();
        if (address === null || typeof address === "string") throw new Error("not listening");
        const base = `http://127.0.0.1:${String(address.port)}`;
        const body = serializeSignedConsent(await world.signGrant(world.patients[3]!));
        const answers = [await relay(body, base), await relay(body, base), await relay(body, base)];
        expect(answers.map((a) => a.status)).to.deep.equal([202, 202, 429]);
        expect(answers[2]!.body.error?.code).to.equal("RATE_LIMITED");
        expect(answers[2]!.body.error?.message).to.contain(
          world.patients[3]!.address.toLowerCase(),
        );
        const otherBody = serializeSignedConsent(await world.signGrant(world.patients[4]!));
        expect((await relay(otherBody, base)).status).to.equal(202);
      } finally {
        await limited.close();
      }
    });

    it("every bad request gets a 4xx naming the reason", async function () {
      const patient = world.patients[5]!;
      const good = JSON.parse(serializeSignedConsent(await world.signGrant(patient))) as {
        domain: Record<string, unknown>;
        message: Record<string, unknown>;
        signature: string;
        signer: string;
      };
      const stranger = world.patients[6]!;
      const foreign = JSON.parse(
        serializeSignedConsent(await world.signGrant(stranger)),
      ) as typeof good;
      const table: {
        what: string;
        body: unknown;
        status: number;
        code: string;
        field?: string;
        errorName?: string;
      }[] = [
        { what: "not JSON", body: "{", status: 400, code: "FST_ERR_CTP_INVALID_JSON_BODY" },
        {
          what: "no signature",
          body: { ...good, signature: undefined },
          status: 400,
          code: "INVALID_CONSENT_INPUT",
          field: "body.signature",
        },
        {
          what: "categories outside the defined set",
          body: { ...good, message: { ...good.message, categories: "65535" } },
          status: 400,
          code: "INVALID_CONSENT_INPUT",
          field: "body.message.categories",
        },
        {
          what: "a bad EIP-55 checksum",
          body: {
            ...good,
            message: {
              ...good.message,
              grantee: (good.message.grantee as string).toLowerCase().replace("0x", "0X"),
            },
          },
          status: 400,
          code: "INVALID_CONSENT_INPUT",
          field: "body.message.grantee",
        },
        {
          what: "another chain's domain",
          body: { ...good, domain: { ...good.domain, chainId: "1" } },
          status: 422,
          code: "DOMAIN_MISMATCH",
          field: "body.domain.chainId",
        },
        {
          what: "a signature of another patient's request",
          body: { ...good, signature: foreign.signature },
          status: 422,
          code: "INVALID_SIGNATURE",
          errorName: "SignerMismatch",
        },
        {
          what: "a past deadline",
          body: { ...good, message: { ...good.message, deadline: "1" } },
          status: 422,
          code: "INVALID_SIGNATURE",
          errorName: "SignatureExpired",
        },
      ];
      for (const row of table) {
        const answer = await relay(row.body);
        expect(answer.status, row.what).to.equal(row.status);
        expect(answer.body.error?.code, row.what).to.equal(row.code);
        if (row.field !== undefined) expect(answer.body.error?.field, row.what).to.equal(row.field);
        if (row.errorName !== undefined) {
          expect(answer.body.error?.errorName, row.what).to.equal(row.errorName);
        }
      }
      const badDigest = await call("GET", "/consents/0x1234");
      expect(badDigest.status).to.equal(400);
      expect(badDigest.body.error).to.include({ code: "INVALID_DIGEST", field: "params.digest" });
      const unknown = await call("GET", `/consents/0x${"ab".repeat(32)}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error?.code).to.equal("UNKNOWN_DIGEST");
      expect(await relayedCount(patient.address)).to.equal(0);
    });

    it("a refusal on chain comes back decoded: a suspended patient's grant is 409 MemberInactive", async function () {
      const patient = world.patients[7]!;
      const body = serializeSignedConsent(await world.signGrant(patient));
      await world.registrar.deactivateMember(patient.address);
      try {
        const answer = await relay(body);
        expect(answer.status).to.equal(409);
        expect(answer.body.error?.errorName).to.equal("MemberInactive");
        expect(answer.body.error?.message).to.match(/inactive|suspended|deactivated/i);
      } finally {
        await world.registrar.reactivateMember(patient.address);
      }
      // Refusals are not remembered: once the chain allows it, the same signature goes through.
      const retried = await relay(body);
      expect(retried.status).to.equal(202);
      expect(await relayedCount(patient.address)).to.equal(1);
    });
  });

  describe("limits, revocation and CORS", function () {
    async function injectService(extra: { gasCap?: bigint; maxBlobBytes?: number }) {
      return createService({
        provider: world.provider,
        contractAddress: await world.ledger.getAddress(),
        relayer: world.relayer,
        blobDir: world.blobDir,
        ...extra,
      });
    }

    it("a gas cap below what the call needs: 422 GAS_CAP_EXCEEDED and nothing is sent", async function () {
      const capped = await injectService({ gasCap: 30_000n });
      try {
        const patient = world.patients[5]!;
        const answer = await capped.app.inject({
          method: "POST",
          url: "/consents",
          payload: JSON.parse(serializeSignedConsent(await world.signGrant(patient))) as object,
        });
        expect(answer.statusCode).to.equal(422);
        expect(answer.json<Answer["body"]>().error?.code).to.equal("GAS_CAP_EXCEEDED");
        expect(await relayedCount(patient.address)).to.equal(0);
      } finally {
        await capped.close();
      }
    });

    it("a PUT body over the size limit is 413, a body that is not octet-stream 415", async function () {
      const small = await injectService({ maxBlobBytes: 64 });
      try {
        const big = await small.app.inject({
          method: "PUT",
          url: `/blobs/${contentHash(new Uint8Array(65))}`,
          headers: { "content-type": "application/octet-stream" },
          payload: Buffer.alloc(65),
        });
        expect(big.statusCode).to.equal(413);
        expect(big.json<Answer["body"]>().error?.code).to.equal("FST_ERR_CTP_BODY_TOO_LARGE");
      } finally {
        await small.close();
      }
      const json = await call("PUT", `/blobs/${contentHash(toUtf8Bytes("{}"))}`, {});
      expect(json.status).to.equal(415);
      expect(json.body.error).to.include({
        code: "UNSUPPORTED_MEDIA_TYPE",
        field: "header.content-type",
      });
    });

    it("relays a signed revocation: the grant is gone on chain", async function () {
      const patient = world.patients[0]!;
      const block = await world.provider.getBlock("latest");
      const request = await prepareRevoke(world.ledger, {
        patient: patient.address,
        grantee: world.doctor.address,
        deadline: BigInt(block?.timestamp ?? 0) + 600n,
      });
      const answer = await relay(serializeSignedConsent(await signRevoke(patient, request)));
      expect(answer.status).to.equal(202);
      expect(answer.body.status).to.equal("mined");
      const grant = await world.ledger.consentOf(patient.address, world.doctor.address);
      expect(grant.categories).to.equal(0n);
    });

    it("answers a browser's CORS preflight", async function () {
      const response = await fetch(`${url}/consents`, {
        method: "OPTIONS",
        headers: {
          origin: "http://127.0.0.1:5173",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      expect(response.status).to.equal(204);
      expect(response.headers.get("access-control-allow-origin")).to.equal("*");
    });
  });

  describe("blob gateway", function () {
    const bytes = toUtf8Bytes("ciphertext of a lab report, sealed for the test");
    const hash = contentHash(bytes);

    function store(signer?: Wallet, now?: () => number): HttpBlobStore {
      return new HttpBlobStore({
        baseUrl: url,
        ...(signer === undefined ? {} : { signer }),
        ...(now === undefined ? {} : { now }),
      });
    }

    async function signedHeaders(
      signer: Wallet,
      method: BlobRequestMethod,
      blob: string,
      timestamp = Math.floor(Date.now() / 1000),
    ): Promise<Record<string, string>> {
      const message = blobRequestMessage({
        method,
        hash: blob,
        chainId: 1337n,
        contract: await world.ledger.getAddress(),
        timestamp,
      });
      return {
        [BLOB_REQUEST_HEADERS.signer]: signer.address,
        [BLOB_REQUEST_HEADERS.timestamp]: String(timestamp),
        [BLOB_REQUEST_HEADERS.signature]: await signer.signMessage(message),
      };
    }

    async function put(blob: string, body: Uint8Array, headers: Record<string, string>) {
      const response = await fetch(`${url}/blobs/${blob}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream", ...headers },
        body: new Uint8Array(body),
      });
      return {
        status: response.status,
        body: (await response.json()) as { error?: { code: string; field?: string } },
      };
    }

    it("HttpBlobStore round trip: a member's signed PUT, then GET verified, HEAD, ETag and immutable caching", async function () {
      const doctorStore = store(world.doctor);
      expect(await doctorStore.has(hash)).to.equal(false);
      expect(await doctorStore.put(bytes)).to.equal(hash);
      expect(await doctorStore.has(hash)).to.equal(true);
      expect(await store().get(hash)).to.deep.equal(bytes);
      const response = await fetch(`${url}/blobs/${hash}`);
      expect(response.headers.get("etag")).to.equal(`"${hash}"`);
      expect(response.headers.get("cache-control")).to.contain("immutable");
      const cached = await fetch(`${url}/blobs/${hash}`, {
        headers: { "if-none-match": `"${hash}"` },
      });
      expect(cached.status).to.equal(304);
      // A patient is a member too, and storing the same bytes again is idempotent (200, not 201).
      expect(await store(world.patients[0]).put(bytes)).to.equal(hash);
    });

    it("GET of an absent blob is 404 (NotFoundError in HttpBlobStore); a malformed hash is 400", async function () {
      const absent = contentHash(toUtf8Bytes("never stored"));
      expect(await rejection(store().get(absent))).to.be.instanceOf(NotFoundError);
      const bad = await call("GET", "/blobs/0xnothex");
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.include({ code: "INVALID_HASH", field: "params.hash" });
    });

    it("a PUT is refused for each reason, and nothing is stored", async function () {
      const blob = toUtf8Bytes("refused upload");
      const blobHash = contentHash(blob);
      const now = Math.floor(Date.now() / 1000);
      const table: {
        what: string;
        headers: () => Promise<Record<string, string>>;
        body?: Uint8Array;
        status: number;
        code: string;
      }[] = [
        {
          what: "unsigned",
          headers: () => Promise.resolve({}),
          status: 401,
          code: "UNSIGNED_REQUEST",
        },
        {
          what: "signed by a non-member",
          headers: () => signedHeaders(world.outsider, "PUT", blobHash),
          status: 403,
          code: "NOT_A_MEMBER",
        },
        {
          what: "signed by a suspended member",
          headers: () => signedHeaders(world.suspended, "PUT", blobHash),
          status: 403,
          code: "MEMBER_INACTIVE",
        },
        {
          what: "a timestamp 6 minutes old",
          headers: () => signedHeaders(world.doctor, "PUT", blobHash, now - 360),
          status: 401,
          code: "STALE_REQUEST",
        },
        {
          what: "a timestamp 6 minutes ahead",
          headers: () => signedHeaders(world.doctor, "PUT", blobHash, now + 360),
          status: 401,
          code: "STALE_REQUEST",
        },
        {
          what: "a signature for another method (DELETE)",
          headers: () => signedHeaders(world.doctor, "DELETE", blobHash),
          status: 401,
          code: "INVALID_SIGNATURE",
        },
        {
          what: "a signer header naming someone else",
          headers: async () => ({
            ...(await signedHeaders(world.outsider, "PUT", blobHash)),
            [BLOB_REQUEST_HEADERS.signer]: world.doctor.address,
          }),
          status: 401,
          code: "INVALID_SIGNATURE",
        },
        {
          what: "a body that does not hash to the address",
          headers: () => signedHeaders(world.doctor, "PUT", blobHash),
          body: toUtf8Bytes("something else"),
          status: 422,
          code: "HASH_MISMATCH",
        },
      ];
      for (const row of table) {
        const answer = await put(blobHash, row.body ?? blob, await row.headers());
        expect(answer.status, row.what).to.equal(row.status);
        expect(answer.body.error?.code, row.what).to.equal(row.code);
      }
      expect(await store().has(blobHash)).to.equal(false);
      const refused = await rejection(store(world.outsider).put(blob));
      expect(refused).to.be.instanceOf(BlobRequestRefusedError);
      expect(refused).to.include({
        status: 403,
        reason: "NOT_A_MEMBER",
        name: "BlobRequestRefusedError",
      });
    });

    it("staff of a suspended organisation may not PUT", async function () {
      await world.registrar.setOrganizationActive(1, false);
      try {
        const refused = await rejection(store(world.doctor).put(toUtf8Bytes("org suspended")));
        expect(refused).to.include({ status: 403, reason: "ORGANIZATION_SUSPENDED" });
      } finally {
        await world.registrar.setOrganizationActive(1, true);
      }
    });

    it("a damaged stored copy is never served (500 BLOB_CORRUPT; HttpBlobStore throws BlobGatewayUnavailableError)", async function () {
      const blob = toUtf8Bytes("to be damaged on disk");
      const blobHash = await store(world.doctor).put(blob);
      const path = new FsBlobStore(world.blobDir).pathFor(blobHash);
      await chmod(path, 0o600);
      await writeFile(path, toUtf8Bytes("tampered bytes of the same length!!"));
      const answer = await call("GET", `/blobs/${blobHash}`);
      expect(answer.status).to.equal(500);
      expect(answer.body.error?.code).to.equal("BLOB_CORRUPT");
      const error = await rejection(store().get(blobHash));
      expect(error.name).to.equal("BlobGatewayUnavailableError");
      expect(error).to.not.be.instanceOf(IntegrityError);
    });

    it("HttpBlobStore verifies what a gateway returns: a lying gateway gives IntegrityError", async function () {
      const liar = new HttpBlobStore({
        baseUrl: "http://gateway.invalid",
        fetch: () =>
          Promise.resolve(
            new Response(new Uint8Array(toUtf8Bytes("not the blob")), { status: 200 }),
          ),
      });
      expect(await rejection(liar.get(hash))).to.be.instanceOf(IntegrityError);
      const down = new HttpBlobStore({
        baseUrl: "http://127.0.0.1:1",
      });
      expect((await rejection(down.get(hash))).name).to.equal("BlobGatewayUnavailableError");
    });

    it("DELETE needs a member's signature and a record the chain says is erased (409 otherwise)", async function () {
      const unsigned = await call("DELETE", `/blobs/${hash}`);
      expect(unsigned.status).to.equal(401);
      const notErased = await call(
        "DELETE",
        `/blobs/${hash}`,
        undefined,
        await signedHeaders(world.doctor, "DELETE", hash),
      );
      expect(notErased.status).to.equal(409);
      expect(notErased.body.error?.code).to.equal("NOT_ERASED");
      expect(await store().has(hash)).to.equal(true);
    });
  });
});
