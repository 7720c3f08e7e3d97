// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CareLedger} from "../../../contracts/CareLedger.sol";
import {Assertions} from "./Assertions.sol";
import {Cast} from "./Cast.sol";
import {vm} from "./Vm.sol";

/// @notice Deploys CareLedger at `Cast.ONBOARDED_AT` (one break-glass warm-up before `Cast.T0`) with one organisation, both patients, one member of every staff role,
/// and one self-anchored record per patient and category (no consent, no break-glass, empty audit trail).
abstract contract CareLedgerFixture is Assertions {
    CareLedger internal ledger;

    function _deployFixture() internal {
        vm.warp(Cast.ONBOARDED_AT);
        ledger = new CareLedger(Cast.ADMIN, Cast.ADMIN_DELAY, Cast.REGISTRAR, Cast.BREAK_GLASS_MAX);
        vm.startPrank(Cast.REGISTRAR);
        ledger.registerOrganization(Cast.ORG);
        ledger.onboardMember(Cast.PATIENT_1, Cast.PATIENT, 0, keccak256("x25519.patient1"));
        ledger.onboardMember(Cast.PATIENT_2, Cast.PATIENT, Cast.ORG, keccak256("x25519.patient2"));
        for (uint8 role = Cast.DOCTOR_ROLE; role < Cast.ROLE_COUNT; ++role) {
            ledger.onboardMember(Cast.staffOf(role), role, Cast.ORG, keccak256(abi.encode("x25519.staff", role)));
        }
        vm.stopPrank();
        for (uint256 p = 0; p < 2; ++p) {
            address who = Cast.patient(p);
            vm.startPrank(who);
            for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) {
                ledger.anchorRecord(who, c, Cast.contentHash(who, c));
            }
            vm.stopPrank();
        }
        vm.warp(Cast.T0);
    }
}

/// @dev Call `target` as `who` with `data` (from `abi.encodeCall`); the success flag and return or revert data.
function callAs(address target, address who, bytes memory data) returns (bool ok, bytes memory ret) {
    vm.prank(who);
    (ok, ret) = target.call(data);
}
