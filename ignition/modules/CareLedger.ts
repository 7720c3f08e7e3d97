/**
 * Hardhat Ignition module for the CareLedger suite: one contract, then its wiring.
 *
 * Scalars come from the parameters file through `m.getParameter` (`admin`, `adminTransferDelay`,
 * `initialRegistrar`, `breakGlassMaxDuration`). Lists shape the module itself (one future per extra
 * registrar and per role-policy override), so `npm run deploy` reads them from the same file and
 * calls {@link buildCareLedgerModule}; the default export (no wiring) is what
 * `npx hardhat ignition deploy ignition/modules/CareLedger.ts --parameters …` deploys.
 *
 * When the governance admin is not the deployer and there is wiring to do, the contract is
 * deployed with the deployer as admin, wired, and then `beginDefaultAdminTransfer(admin)` starts
 * the two-step hand-over: the admin calls `acceptDefaultAdminTransfer()` after the delay.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Artifact } from "@nomicfoundation/ignition-core";
import {
  CARELEDGER_MODULE_ID,
  PARAMETER_DEFAULTS,
  roleName,
  type RolePolicyOverride,
} from "../../src/deploy/parameters.js";
import { REGISTRAR_ROLE } from "../../src/sdk/constants.js";

/** What the module does after deploying the contract. */
export interface CareLedgerWiring {
  /** Accounts granted `REGISTRAR_ROLE`, besides the constructor's `initialRegistrar`. */
  readonly registrars: readonly string[];
  /** Role policies to set instead of the defaults. */
  readonly rolePolicies: readonly RolePolicyOverride[];
  /** Deploy with the deployer as admin, wire, then begin the transfer to the `admin` parameter. */
  readonly handOverAdmin: boolean;
}

/** No wiring: the contract alone, with `admin` as its admin from the start. */
export const NO_WIRING: CareLedgerWiring = {
  registrars: [],
  rolePolicies: [],
  handOverAdmin: false,
};

/**
 * The CareLedger module with `wiring`. Future ids are stable, so a re-run resumes the journal.
 * `artifact` deploys another build of the contract (e.g. `artifacts-evm/paris/CareLedger.json`)
 * under the same future id; default: the `CareLedger` artifact of the default build.
 */
export function buildCareLedgerModule(wiring: CareLedgerWiring = NO_WIRING, artifact?: Artifact) {
  return buildModule(CARELEDGER_MODULE_ID, (m) => {
    const admin = m.getParameter<string>("admin");
    const adminTransferDelay = m.getParameter<number>(
      "adminTransferDelay",
      PARAMETER_DEFAULTS.adminTransferDelay,
    );
    const initialRegistrar = m.getParameter<string>(
      "initialRegistrar",
      PARAMETER_DEFAULTS.initialRegistrar,
    );
    const breakGlassMaxDuration = m.getParameter<number>(
      "breakGlassMaxDuration",
      PARAMETER_DEFAULTS.breakGlassMaxDuration,
    );

    const constructorArgs = [
      wiring.handOverAdmin ? m.getAccount(0) : admin,
      adminTransferDelay,
      initialRegistrar,
      breakGlassMaxDuration,
    ];
    const careLedger =
      artifact === undefined
        ? m.contract("CareLedger", constructorArgs)
        : m.contract("CareLedger", artifact, constructorArgs);

    const wired = [
      ...wiring.registrars.map((registrar) =>
        m.call(careLedger, "grantRole", [REGISTRAR_ROLE, registrar], {
          id: `grantRegistrar_${registrar}`,
        }),
      ),
      ...wiring.rolePolicies.map((policy) =>
        m.call(
          careLedger,
          "setRolePolicy",
          [policy.role, policy.read, policy.write, policy.emergencyRead],
          { id: `setRolePolicy_${roleName(policy.role)}` },
        ),
      ),
    ];
    if (wiring.handOverAdmin) {
      m.call(careLedger, "beginDefaultAdminTransfer", [admin], {
        id: "beginAdminTransfer",
        after: wired,
      });
    }
    return { careLedger };
  });
}

export default buildCareLedgerModule();
