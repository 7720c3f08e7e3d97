/**
 * The transport's error mapping and deadlines, without a node: whatever ethers or the network throws
 * becomes a CareLedgerError with the original as `cause`, and a deadline or abort ends a call.
 */
import { expect } from "chai";
import { makeError } from "ethers";
import { CareLedgerError, InvalidArgumentError } from "../../src/errors.js";
import {
  AccessDeniedError,
  careLedgerInterface,
  NodeRejectedError,
  NodeUnavailableError,
  OperationAbortedError,
} from "../../src/sdk/errors.js";
import { Deadline, isNetworkFault, toCareLedgerError } from "../../src/sdk/transport.js";
import { rejection } from "../helpers/index.js";

const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), {
  code: "ECONNREFUSED",
});

describe("SDK transport: error mapping and deadlines", function () {
  const network: ReadonlyArray<[string, unknown]> = [
    ["ethers SERVER_ERROR (a 502 from a gateway)", makeError("bad response", "SERVER_ERROR")],
    ["ethers NETWORK_ERROR", makeError("network error", "NETWORK_ERROR")],
    ["ethers TIMEOUT", makeError("timeout", "TIMEOUT")],
    ["a refused connection nested as cause", new Error("fetch failed", { cause: refused })],
    ["a reset socket", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
  ];
  for (const [what, error] of network) {
    it(`${what} is a NodeUnavailableError with the original as cause`, function () {
      expect(isNetworkFault(error)).to.equal(true);
      const mapped = toCareLedgerError(error, "openRecord", undefined, {
        transactionHash: "0xab",
        nonce: 3,
      });
      expect(mapped).to.be.instanceOf(NodeUnavailableError);
      expect(mapped.name).to.equal("NodeUnavailableError");
      expect(mapped.cause).to.equal(error);
      expect((mapped as NodeUnavailableError).nonce).to.equal(3);
    });
  }

  const rejected: ReadonlyArray<[string, unknown, string | undefined]> = [
    [
      "ethers NONCE_EXPIRED",
      makeError("nonce has already been used", "NONCE_EXPIRED"),
      "NONCE_EXPIRED",
    ],
    [
      "ethers INSUFFICIENT_FUNDS",
      makeError("insufficient funds", "INSUFFICIENT_FUNDS"),
      "INSUFFICIENT_FUNDS",
    ],
    ["a TypeError", new TypeError("value out-of-bounds"), undefined],
    ["a string", "something odd", undefined],
  ];
  for (const [what, error, reason] of rejected) {
    it(`${what} is a NodeRejectedError (a CareLedgerError), never raw`, function () {
      const mapped = toCareLedgerError(error, "grantConsent");
      expect(mapped).to.be.instanceOf(NodeRejectedError);
      expect(mapped).to.be.instanceOf(CareLedgerError);
      expect((mapped as NodeRejectedError).reason).to.equal(reason);
    });
  }

  it("revert data is decoded first (a refusal is not a node fault)", function () {
    const iface = careLedgerInterface();
    const data = iface.encodeErrorResult("NotAMember", ["0x" + "11".repeat(20)]);
    const error = Object.assign(new Error("execution reverted"), { data });
    expect(toCareLedgerError(error, "openRecord", iface)).to.be.instanceOf(AccessDeniedError);
  });

  it("a deadline ends a call that never answers; an abort ends it at once", async function () {
    const never = new Promise<never>(() => undefined);
    const t0 = Date.now();
    expect(await rejection(new Deadline(100).race("eth_call", never))).to.be.instanceOf(
      NodeUnavailableError,
    );
    expect(Date.now() - t0).to.be.lessThan(1_000);
    const controller = new AbortController();
    const racing = new Deadline(60_000, controller.signal).race("eth_call", never);
    controller.abort();
    expect(await rejection(racing)).to.be.instanceOf(OperationAbortedError);
    expect(() => new Deadline(60_000, controller.signal).checkAborted("x")).to.throw(
      OperationAbortedError,
    );
  });

  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`a deadline of ${bad} ms is an InvalidArgumentError`, function () {
      expect(() => new Deadline(bad)).to.throw(InvalidArgumentError);
    });
  }
});
