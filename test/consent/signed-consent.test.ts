/**
 * EIP-712 signed consent: typed data matching the contract, relayed grants and revocations (patient pays no
 * gas), smart-wallet patients (ERC-1271), the eth_signTypedData_v4 JSON, and every refusal — each with its
 * own custom error and arguments, on chain and in `verifyLocally` alike.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import {
  Signature,
  TypedDataEncoder,
  concat,
  getBytes,
  hexlify,
  keccak256,
  recoverAddress,
  toBeHex,
  toUtf8Bytes,
  zeroPadValue,
  AbiCoder,
} from "ethers";
import { network } from "hardhat";
import {
  DomainMismatchError,
  GRANT_CONSENT_TYPES,
  InvalidConsentInputError,
  REVOKE_CONSENT_TYPES,
  type SignedConsent,
  type SignedGrant,
  consentDigest,
  consentDomain,
  nonceKeyFor,
  parseEthSignTypedDataV4,
  parseSignedConsent,
  readConsentDomain,
  relayGrant,
  relayRevoke,
  sendSignedConsent,
  serializeSignedConsent,
  signGrant,
  signRevoke,
  toEthSignTypedDataV4Json,
  verifyLocally,
} from "../../src/consent/index.js";
import { InvalidContractArgumentError, InvalidSignatureError } from "../../src/sdk/errors.js";
import {
  type SignedConsentFixture,
  deploySignedConsentFixture,
  expectRefused,
  expectRelayedGrant,
  grantRequest,
  rejection,
  revokeRequest,
} from "../helpers/index.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function fixture(): Promise<SignedConsentFixture> {
  return deploySignedConsentFixture(connection);
}

/** `patient` signs a default grant of labs + medications for treatment to `doctor`. */
async function patientGrant(
  f: SignedConsentFixture,
  overrides: { nonce?: bigint; deadline?: number; expiresAt?: number } = {},
) {
  const request = await grantRequest(connection, f.ledger, {
    patient: f.patient.address,
    grantee: f.doctor.address,
    ...overrides,
  });
  return signGrant(f.patient, request);
}

/** The nonce of the patient's lane for the doctor, sequence 0: `key << 64`. */
function doctorLane(f: SignedConsentFixture): bigint {
  return nonceKeyFor(f.doctor.address) << 64n;
}

/** `patient` signs a revocation of `doctor`'s grant. */
async function patientRevoke(f: SignedConsentFixture, overrides: { nonce?: bigint } = {}) {
  const request = await revokeRequest(connection, f.ledger, {
    patient: f.patient.address,
    grantee: f.doctor.address,
    ...overrides,
  });
  return signRevoke(f.patient, request);
}

/** The eth_signTypedData_v4 JSON as a wallet parses it. */
interface V4Payload {
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  domain: Record<string, string>;
  message: Record<string, string>;
}

/** The address a signature recovers to for a (possibly altered) request: what the contract computes. */
function recoveredFor(signed: SignedConsent): string {
  return recoverAddress(consentDigest(signed), signed.signature);
}

describe("Signed consent (EIP-712)", function () {
  describe("typed data", function () {
    it("the type strings hash to the contract's GRANT_TYPEHASH and REVOKE_TYPEHASH", async function () {
      const { ledger } = await networkHelpers.loadFixture(fixture);
      const grantType = TypedDataEncoder.from(GRANT_CONSENT_TYPES).encodeType("GrantConsent");
      const revokeType = TypedDataEncoder.from(REVOKE_CONSENT_TYPES).encodeType("RevokeConsent");
      expect(keccak256(toUtf8Bytes(grantType))).to.equal(await ledger.GRANT_TYPEHASH());
      expect(keccak256(toUtf8Bytes(revokeType))).to.equal(await ledger.REVOKE_TYPEHASH());
    });

    it("the domain read from the contract hashes to its DOMAIN_SEPARATOR and names this chain and contract", async function () {
      const { ledger, chainId } = await networkHelpers.loadFixture(fixture);
      const domain = await readConsentDomain(ledger);
      expect(domain).to.deep.equal(consentDomain(chainId, await ledger.getAddress()));
      expect(domain.name).to.equal("CareLedger");
      expect(domain.version).to.equal("1");
      expect(TypedDataEncoder.hashDomain({ ...domain })).to.equal(await ledger.DOMAIN_SEPARATOR());
    });

    it("a request reads the signer's current nonce in the grantee's lane, and the grant's epoch", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      const lane = doctorLane(f);
      expect((await patientGrant(f)).message.nonce).to.equal(lane);
      await relayGrant(asRelayer, await patientGrant(f));
      expect((await patientGrant(f)).message.nonce).to.equal(lane | 1n);
      expect(
        await f.ledger.nonces(f.patient.address, f.patient.address, nonceKeyFor(f.doctor.address)),
      ).to.equal(lane | 1n);
      // Another grantee's lane is untouched; a direct grant moves the epoch on.
      expect(await f.ledger.nonces(f.patient.address, f.patient.address, 0n)).to.equal(0n);
      expect((await patientGrant(f)).message.epoch).to.equal(0);
      await f.ledger.connect(f.patient).revokeConsent(f.doctor.address);
      expect((await patientGrant(f)).message.epoch).to.equal(1);
    });

    it("a signed request survives serialization for transport, and bad transport input is refused with every problem", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const json = serializeSignedConsent(signed);
      expect((JSON.parse(json) as { message: { expiresAt: unknown } }).message.expiresAt).to.equal(
        signed.message.expiresAt.toString(),
      );
      expect(parseSignedConsent(json)).to.deep.equal(signed);

      const bad = JSON.parse(json) as { message: Record<string, unknown>; signer: string };
      bad.message["categories"] = "512";
      bad.message["purposes"] = 0;
      bad.message["grantee"] = bad.message["patient"];
      bad.signer = f.patient.address.toLowerCase().replace("0x", "0X");
      const err = await rejection(Promise.resolve().then(() => parseSignedConsent(bad)));
      expect(err).to.be.instanceOf(InvalidConsentInputError);
      const paths = (err as InvalidConsentInputError).issues.map((i) => i.path);
      expect(paths).to.include.members(["message.categories", "message.purposes", "signer"]);
    });

    it("a mixed-case address with a wrong EIP-55 checksum is refused", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const payload = JSON.parse(serializeSignedConsent(await patientGrant(f))) as {
        message: { grantee: string };
      };
      const g = payload.message.grantee;
      const i = [...g].findIndex((c, k) => k >= 2 && /[a-fA-F]/.test(c));
      const c = g.charAt(i);
      payload.message.grantee =
        g.slice(0, i) +
        (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) +
        g.slice(i + 1);
      expect(() => parseSignedConsent(payload)).to.throw(InvalidConsentInputError, /checksum/);
    });
  });

  describe("relayed grants and revocations", function () {
    it("patient signs, the clinic relays: ConsentGranted names the patient, ConsentRelayed the relayer; the patient pays no gas", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const m = signed.message;
      const before = await ethers.provider.getBalance(f.patient.address);
      const relayerBefore = await ethers.provider.getBalance(f.relayer.address);
      const tx = sendSignedConsent(f.ledger.connect(f.relayer), signed);
      await expectRelayedGrant(f.ledger, tx, signed, f.relayer.address);
      const receipt = await (await tx).wait();
      expect(await ethers.provider.getBalance(f.patient.address)).to.equal(before);
      expect(await ethers.provider.getBalance(f.relayer.address)).to.equal(
        relayerBefore - (receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n),
      );
      const grant = await f.ledger.consentOf(f.patient.address, f.doctor.address);
      expect([grant.categories, grant.purposes, grant.expiresAt]).to.deep.equal([
        BigInt(m.categories),
        BigInt(m.purposes),
        m.expiresAt,
      ]);
    });

    it("a patient whose key holds no ether grants by signature", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      expect(await ethers.provider.getBalance(f.gaslessPatient.address)).to.equal(0n);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.gaslessPatient.address,
        grantee: f.nurse.address,
      });
      const result = await relayGrant(
        f.ledger.connect(f.relayer),
        await signGrant(f.gaslessPatient, request),
      );
      expect(result.verified?.actor).to.equal("patient");
      expect(result.verified?.signerKind).to.equal("eoa");
      expect(
        (await f.ledger.consentOf(f.gaslessPatient.address, f.nurse.address)).expiresAt,
      ).to.equal(request.message.expiresAt);
      expect(await ethers.provider.getBalance(f.gaslessPatient.address)).to.equal(0n);
    });

    it("revokeWithSig withdraws the grant, naming the patient and the relayer", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      await relayGrant(asRelayer, await patientGrant(f));
      const signed = await patientRevoke(f);
      expect(signed.message.nonce).to.equal(doctorLane(f) | 1n);
      const tx = sendSignedConsent(asRelayer, signed);
      await expect(tx)
        .to.emit(f.ledger, "ConsentRevoked")
        .withArgs(f.patient.address, f.doctor.address, f.patient.address);
      await expect(tx)
        .to.emit(f.ledger, "ConsentRelayed")
        .withArgs(f.patient.address, f.patient.address, f.relayer.address, doctorLane(f) | 1n);
      expect((await f.ledger.consentOf(f.patient.address, f.doctor.address)).expiresAt).to.equal(
        0n,
      );
      expect(await f.ledger.hasAccess(f.patient.address, f.doctor.address, 4, 0)).to.equal(false);
    });

    it("a signature is valid up to and including its deadline second", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const deadline = (await networkHelpers.time.latest()) + 100;
      const signed = await patientGrant(f, { deadline });
      await networkHelpers.time.setNextBlockTimestamp(deadline);
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
    });
  });

  describe("smart-account (ERC-1271) patient", function () {
    /** `by` signs a grant for the smart-wallet patient, as the wallet. */
    async function walletGrant(f: SignedConsentFixture, by: HardhatEthersSigner) {
      const wallet = await f.smartWallet.getAddress();
      const request = await grantRequest(connection, f.ledger, {
        patient: wallet,
        grantee: f.doctor.address,
      });
      return { wallet, signed: await signGrant(by, request, { signerAddress: wallet }) };
    }

    it("the wallet's owner signs for the wallet; the relayed grant names the wallet as actor", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const { wallet, signed } = await walletGrant(f, f.walletOwner);
      expect(signed.signer).to.equal(wallet);
      const verified = await verifyLocally(f.ledger.connect(f.relayer), signed);
      expect(verified.signerKind).to.equal("erc1271");
      const tx = sendSignedConsent(f.ledger.connect(f.relayer), signed);
      await expectRelayedGrant(f.ledger, tx, signed, f.relayer.address);

      const revoke = await signRevoke(
        f.walletOwner,
        await revokeRequest(connection, f.ledger, { patient: wallet, grantee: f.doctor.address }),
        { signerAddress: wallet },
      );
      await relayRevoke(f.ledger.connect(f.relayer), revoke);
      expect((await f.ledger.consentOf(wallet, f.doctor.address)).expiresAt).to.equal(0n);
    });

    it("a wallet switched to reject refuses its owner's signature: ERC1271SignatureRejected(wallet)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const { wallet, signed } = await walletGrant(f, f.walletOwner);
      await f.smartWallet.connect(f.walletOwner).setRejecting(true);
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        signed,
        "ERC1271SignatureRejected",
        {
          signer: wallet,
        },
      );
    });

    it("a wallet refuses a signature by someone other than its owner: ERC1271SignatureRejected(wallet)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const { wallet, signed } = await walletGrant(f, f.outsider);
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        signed,
        "ERC1271SignatureRejected",
        {
          signer: wallet,
        },
      );
    });
  });

  describe("eth_signTypedData_v4 JSON", function () {
    it("has EIP712Domain in types, the primary type, the domain and decimal-string numbers", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
      });
      const payload = JSON.parse(toEthSignTypedDataV4Json(request)) as V4Payload;
      expect(Object.keys(payload.types).sort()).to.deep.equal(["EIP712Domain", "GrantConsent"]);
      expect(payload.types["EIP712Domain"]?.map((t) => t.name)).to.deep.equal([
        "name",
        "version",
        "chainId",
        "verifyingContract",
      ]);
      expect(payload.primaryType).to.equal("GrantConsent");
      expect(payload.domain).to.deep.equal({
        name: "CareLedger",
        version: "1",
        chainId: Number(f.chainId),
        verifyingContract: await f.ledger.getAddress(),
      });
      expect(payload.message).to.deep.equal({
        patient: f.patient.address,
        signer: f.patient.address,
        grantee: f.doctor.address,
        categories: String(request.message.categories),
        purposes: String(request.message.purposes),
        expiresAt: request.message.expiresAt.toString(),
        epoch: "0",
        nonce: doctorLane(f).toString(),
        deadline: request.message.deadline.toString(),
      });
      expect(parseEthSignTypedDataV4(JSON.stringify(payload))).to.deep.equal(request);
    });

    it("a key signing the hash of the parsed JSON produces a signature the contract accepts", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.gaslessPatient.address,
        grantee: f.doctor.address,
      });
      const parsed = JSON.parse(toEthSignTypedDataV4Json(request)) as V4Payload;
      const { EIP712Domain: _domainType, ...types } = parsed.types;
      expect(TypedDataEncoder.getPrimaryType(types)).to.equal(parsed.primaryType);
      const digest = TypedDataEncoder.hash(parsed.domain, types, parsed.message);
      const signature = f.gaslessPatient.signingKey.sign(digest).serialized;
      const signed: SignedGrant = { ...request, signer: f.gaslessPatient.address, signature };
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed))
        .to.emit(f.ledger, "ConsentRelayed")
        .withArgs(
          f.gaslessPatient.address,
          f.gaslessPatient.address,
          f.relayer.address,
          request.message.nonce,
        );
    });

    it("a wallet's eth_signTypedData_v4 over the JSON produces a signature the contract accepts", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
      });
      const signature = (await ethers.provider.send("eth_signTypedData_v4", [
        f.patient.address,
        toEthSignTypedDataV4Json(request),
      ])) as string;
      const signed: SignedGrant = { ...request, signer: f.patient.address, signature };
      expect(signature).to.equal((await signGrant(f.patient, request)).signature);
      await relayGrant(f.ledger.connect(f.relayer), signed);
      expect(await f.ledger.hasAccess(f.patient.address, f.doctor.address, 4, 0)).to.equal(true);
    });
  });

  describe("refusals, each with its own error (on chain and in verifyLocally)", function () {
    it("replay of a used signature: InvalidAccountNonce(patient, lane | 1)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      const signed = await patientGrant(f);
      await relayGrant(asRelayer, signed);
      await expectRefused(connection, asRelayer, signed, "InvalidAccountNonce", {
        account: f.patient.address,
        currentNonce: doctorLane(f) | 1n,
      });
    });

    it("a reused nonce (a new message signed with a used nonce): InvalidAccountNonce(patient, lane | 1)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      await relayGrant(asRelayer, await patientGrant(f));
      const reused = await patientRevoke(f, { nonce: doctorLane(f) });
      await expectRefused(connection, asRelayer, reused, "InvalidAccountNonce", {
        account: f.patient.address,
        currentNonce: doctorLane(f) | 1n,
      });
    });

    it("a skipped nonce: InvalidAccountNonce(patient, 0)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const skipped = await patientGrant(f, { nonce: 1n });
      await expectRefused(connection, f.ledger.connect(f.relayer), skipped, "InvalidAccountNonce", {
        account: f.patient.address,
        currentNonce: 0n,
      });
    });

    it("after the deadline: SignatureExpired(deadline, block time)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const deadline = (await networkHelpers.time.latest()) + 100;
      const signed = await patientGrant(f, { deadline });
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        signed,
        "SignatureExpired",
        { deadline: BigInt(deadline), currentTime: BigInt(deadline + 1) },
        deadline + 1,
      );
    });

    it("the same signature on another chain id: SignerMismatch on chain, DomainMismatchError off chain", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      const here = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
      });
      const otherChain = {
        ...here,
        domain: consentDomain(f.chainId + 1n, here.domain.verifyingContract),
      };
      const signed = await signGrant(f.patient, otherChain);

      const err = await rejection(verifyLocally(asRelayer, signed));
      expect(err).to.be.instanceOf(DomainMismatchError);
      expect(err).to.include({
        field: "chainId",
        expected: f.chainId.toString(),
        actual: (f.chainId + 1n).toString(),
      });

      // Presented as if it were for this chain, it recovers to some other account.
      const presented: SignedGrant = { ...signed, domain: here.domain };
      const recovered = recoveredFor(presented);
      expect(recovered).to.not.equal(f.patient.address);
      await expectRefused(connection, asRelayer, presented, "SignerMismatch", {
        signer: f.patient.address,
        recovered,
      });
    });

    it("the same signature on another deployment: SignerMismatch on chain, DomainMismatchError off chain", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.otherLedger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
      });
      const signed = await signGrant(f.patient, request);
      const asRelayer = f.ledger.connect(f.relayer);

      const err = await rejection(verifyLocally(asRelayer, signed));
      expect(err).to.be.instanceOf(DomainMismatchError);
      expect((err as DomainMismatchError).field).to.equal("verifyingContract");

      const presented: SignedGrant = { ...signed, domain: await readConsentDomain(f.ledger) };
      await expectRefused(connection, asRelayer, presented, "SignerMismatch", {
        signer: f.patient.address,
        recovered: recoveredFor(presented),
      });
      // On the deployment it was signed for, it is accepted.
      await relayGrant(f.otherLedger.connect(f.relayer), signed);
    });

    for (const [field, value] of [
      ["name", "CareLedger Test"],
      ["version", "2"],
    ] as const) {
      it(`a signature for another domain ${field}: SignerMismatch on chain, DomainMismatchError off chain`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const here = await grantRequest(connection, f.ledger, {
          patient: f.patient.address,
          grantee: f.doctor.address,
        });
        const signed = await signGrant(f.patient, {
          ...here,
          domain: { ...here.domain, [field]: value },
        });
        const err = await rejection(verifyLocally(f.ledger.connect(f.relayer), signed));
        expect(err).to.be.instanceOf(DomainMismatchError);
        expect(err).to.include({ field, expected: here.domain[field], actual: value });
        const presented: SignedGrant = { ...signed, domain: here.domain };
        await expectRefused(connection, f.ledger.connect(f.relayer), presented, "SignerMismatch", {
          signer: f.patient.address,
          recovered: recoveredFor(presented),
        });
      });
    }

    const GRANT_FIELD_CHANGES: readonly [
      string,
      (s: SignedGrant, f: SignedConsentFixture) => SignedGrant,
    ][] = [
      ["patient", (s, f) => ({ ...s, message: { ...s.message, patient: f.otherPatient.address } })],
      ["grantee", (s, f) => ({ ...s, message: { ...s.message, grantee: f.nurse.address } })],
      [
        "categories",
        (s) => ({ ...s, message: { ...s.message, categories: s.message.categories | 0x100 } }),
      ],
      [
        "purposes",
        (s) => ({ ...s, message: { ...s.message, purposes: s.message.purposes | 0x08 } }),
      ],
      [
        "expiresAt",
        (s) => ({ ...s, message: { ...s.message, expiresAt: s.message.expiresAt + 86_400n } }),
      ],
      ["nonce", (s) => ({ ...s, message: { ...s.message, nonce: s.message.nonce + 1n } })],
      ["deadline", (s) => ({ ...s, message: { ...s.message, deadline: s.message.deadline + 1n } })],
    ];
    for (const [field, change] of GRANT_FIELD_CHANGES) {
      it(`a grant with ${field} changed after signing: SignerMismatch(signer, recovered)`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const altered = change(await patientGrant(f), f);
        const recovered = recoveredFor(altered);
        expect(recovered).to.not.equal(f.patient.address);
        await expectRefused(connection, f.ledger.connect(f.relayer), altered, "SignerMismatch", {
          signer: f.patient.address,
          recovered,
        });
      });
    }

    const REVOKE_FIELDS = ["patient", "grantee", "nonce", "deadline"] as const;
    for (const field of REVOKE_FIELDS) {
      it(`a revocation with ${field} changed after signing: SignerMismatch(signer, recovered)`, async function () {
        const f = await networkHelpers.loadFixture(fixture);
        const asRelayer = f.ledger.connect(f.relayer);
        await relayGrant(asRelayer, await patientGrant(f));
        const signed = await patientRevoke(f);
        const changes = {
          patient: f.otherPatient.address,
          grantee: f.nurse.address,
          nonce: signed.message.nonce + 1n,
          deadline: signed.message.deadline + 1n,
        };
        const altered: SignedConsent = {
          ...signed,
          message: { ...signed.message, [field]: changes[field] },
        };
        await expectRefused(connection, asRelayer, altered, "SignerMismatch", {
          signer: f.patient.address,
          recovered: recoveredFor(altered),
        });
      });
    }

    it("a claimed signer other than the one who signed: SignerMismatch(claimed, actual)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      // The claimed signer is part of the signed struct: the signature recovers to an unrelated account.
      const claimed: SignedGrant = {
        ...signed,
        signer: f.guardian.address,
        message: { ...signed.message, signer: f.guardian.address },
      };
      const recovered = recoveredFor(claimed);
      expect(recovered).to.not.equal(f.patient.address);
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        { ...signed, signer: f.guardian.address },
        "SignerMismatch",
        { signer: f.guardian.address, recovered },
      );
    });

    it("a high-s (malleable) twin of a valid signature: ECDSAInvalidSignatureS(s')", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const sig = Signature.from(signed.signature);
      const highS = toBeHex(SECP256K1_N - BigInt(sig.s), 32);
      const flippedV = sig.v === 27 ? 28 : 27;
      const twin = hexlify(concat([sig.r, highS, new Uint8Array([flippedV])]));
      // The twin is a valid secp256k1 signature of the same digest: the ecrecover precompile returns the patient.
      const input = AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "uint8", "bytes32", "bytes32"],
        [consentDigest(signed), flippedV, sig.r, highS],
      );
      const precompile = await ethers.provider.call({ to: zeroPadValue("0x01", 20), data: input });
      expect(AbiCoder.defaultAbiCoder().decode(["address"], precompile)[0]).to.equal(
        f.patient.address,
      );

      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        { ...signed, signature: twin },
        "ECDSAInvalidSignatureS",
        {
          s: highS,
        },
      );
    });

    it("a signature of the wrong length: ECDSAInvalidSignatureLength(64)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const short = hexlify(getBytes(signed.signature).slice(0, 64));
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        { ...signed, signature: short },
        "ECDSAInvalidSignatureLength",
        {
          length: 64n,
        },
      );
    });

    it("a signature with v not 27 or 28: ECDSAInvalidSignature()", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const bytes = getBytes(signed.signature);
      bytes[64] = (bytes[64] ?? 27) - 27;
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        { ...signed, signature: hexlify(bytes) },
        "ECDSAInvalidSignature",
        {},
      );
    });

    it("a signer who is neither the patient nor a delegate: NotPatientOrDelegate(patient, signer)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
        signer: f.outsider.address,
      });
      const signed = await signGrant(f.outsider, request);
      await expectRefused(connection, f.ledger.connect(f.relayer), signed, "NotPatientOrDelegate", {
        patient: f.patient.address,
        account: f.outsider.address,
      });
    });

    it("a grant while the contract is paused: EnforcedPause()", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      await f.ledger.connect(f.admin).pause();
      await expectRefused(connection, f.ledger.connect(f.relayer), signed, "EnforcedPause", {});
    });

    it("a grant signed by an account that is not a member: NotAMember(account)", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const request = await grantRequest(connection, f.ledger, {
        patient: f.outsider.address,
        grantee: f.doctor.address,
      });
      await expectRefused(
        connection,
        f.ledger.connect(f.relayer),
        await signGrant(f.outsider, request),
        "NotAMember",
        {
          account: f.outsider.address,
        },
      );
    });

    it("what the signature checks cannot see is found by simulating the relay: ExpiryNotInFuture", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const now = await networkHelpers.time.latest();
      const signed = await patientGrant(f, { expiresAt: now + 10 });
      await networkHelpers.time.increaseTo(now + 20);
      const asRelayer = f.ledger.connect(f.relayer);
      await verifyLocally(asRelayer, signed, { simulate: false });
      const local = await rejection(verifyLocally(asRelayer, signed));
      expect(local).to.be.instanceOf(InvalidContractArgumentError);
      expect((local as InvalidContractArgumentError).errorName).to.equal("ExpiryNotInFuture");
      await networkHelpers.time.setNextBlockTimestamp(now + 21);
      await expect(sendSignedConsent(asRelayer, signed))
        .to.be.revertedWithCustomError(f.ledger, "ExpiryNotInFuture")
        .withArgs(now + 10, now + 21);
    });

    it("the local refusal is the SDK's decoded error class with the contract's revert data", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f, { nonce: 5n });
      const asRelayer = f.ledger.connect(f.relayer);
      const local = await rejection(verifyLocally(asRelayer, signed));
      expect(local).to.be.instanceOf(InvalidSignatureError);
      const onChain = await asRelayer.grantWithSig
        .staticCall(
          signed.message.patient,
          signed.message.grantee,
          signed.message.categories,
          signed.message.purposes,
          signed.message.expiresAt,
          signed.message.epoch,
          signed.message.nonce,
          signed.message.deadline,
          signed.signer,
          signed.signature,
        )
        .catch((e: unknown) => e);
      expect((local as InvalidSignatureError).data).to.equal(
        (onChain as { data: string }).data.toLowerCase(),
      );
      const relayed = await rejection(relayGrant(asRelayer, signed));
      expect(relayed).to.be.instanceOf(InvalidSignatureError);
      expect(relayed.message).to.match(/is at nonce 0/);
    });
  });

  describe("invalidateNonce (cancelling an unrelayed signature)", function () {
    it("the patient uses up its lane's nonce: NonceInvalidated, and the signed grant is refused with InvalidAccountNonce", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const key = nonceKeyFor(f.doctor.address);
      await expect(f.ledger.connect(f.patient).invalidateNonce(f.patient.address, key))
        .to.emit(f.ledger, "NonceInvalidated")
        .withArgs(f.patient.address, f.patient.address, doctorLane(f));
      expect(await f.ledger.nonces(f.patient.address, f.patient.address, key)).to.equal(
        doctorLane(f) | 1n,
      );
      await expectRefused(connection, f.ledger, signed, "InvalidAccountNonce", {
        account: f.patient.address,
        currentNonce: doctorLane(f) | 1n,
      });
    });

    it("a delegate cancels in its own lanes only; it works while paused", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      await f.ledger.connect(f.admin).pause();
      await expect(f.ledger.connect(f.guardian).invalidateNonce(f.minor.address, 0n))
        .to.emit(f.ledger, "NonceInvalidated")
        .withArgs(f.minor.address, f.guardian.address, 0);
      expect(await f.ledger.nonces(f.minor.address, f.guardian.address, 0n)).to.equal(1n);
      expect(await f.ledger.nonces(f.minor.address, f.minor.address, 0n)).to.equal(0n);
    });

    it("anyone else uses up only its own lane, never the patient's", async function () {
      const f = await networkHelpers.loadFixture(fixture);
      const signed = await patientGrant(f);
      const key = nonceKeyFor(f.doctor.address);
      await f.ledger.connect(f.relayer).invalidateNonce(f.patient.address, key);
      expect(await f.ledger.nonces(f.patient.address, f.relayer.address, key)).to.equal(
        doctorLane(f) | 1n,
      );
      expect(await f.ledger.nonces(f.patient.address, f.patient.address, key)).to.equal(
        doctorLane(f),
      );
      await expect(sendSignedConsent(f.ledger.connect(f.relayer), signed)).to.emit(
        f.ledger,
        "ConsentRelayed",
      );
    });
  });

  describe("gas", function () {
    it("grantWithSig (first and later signature of a patient) and revokeWithSig", async function () {
      // `hardhat test --coverage` runs instrumented bytecode: its gas says nothing about the contracts.
      if (process.env.HARDHAT_COVERAGE === "true") this.skip();
      const f = await networkHelpers.loadFixture(fixture);
      const asRelayer = f.ledger.connect(f.relayer);
      const first = await relayGrant(asRelayer, await patientGrant(f));
      // The patient's later signature in the same lane (the doctor's), e.g. widening that grant.
      const laterRequest = await grantRequest(connection, f.ledger, {
        patient: f.patient.address,
        grantee: f.doctor.address,
        categories: 0x1c,
      });
      const later = await relayGrant(asRelayer, await signGrant(f.patient, laterRequest));
      const revoke = await relayRevoke(asRelayer, await patientRevoke(f));
      const direct = await (
        await f.ledger
          .connect(f.otherPatient)
          .grantConsent(f.doctor.address, 0x14, 0x01, laterRequest.message.expiresAt)
      ).wait();
      console.log(
        `      gas: grantWithSig first ${first.gasUsed}, later ${later.gasUsed}; revokeWithSig ${revoke.gasUsed}; ` +
          `direct grantConsent ${direct?.gasUsed}`,
      );
      // A lane's first signature creates its nonce slot (and the grant slot); a later one only updates both.
      expect(
        first.gasUsed > later.gasUsed,
        `first ${first.gasUsed} > later ${later.gasUsed}`,
      ).to.equal(true);
      expect(later.gasUsed <= 70_000n, "later signature within the 70,000 target").to.equal(true);
      expect(revoke.gasUsed < later.gasUsed, "revoke < later grant").to.equal(true);
    });
  });
});
