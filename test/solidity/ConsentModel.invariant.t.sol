// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ConsentHandler} from "./handlers/ConsentHandler.sol";
import {CareLedgerFixture} from "./utils/CareLedgerFixture.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Invariant (stateful fuzz) test: the runner calls random `ConsentHandler` operations with random
/// arguments; after every call the ledger must agree with the reference model everywhere.
/// @dev The runner identifies the handler by its artifact, and the handler's file is its own test root: to run
/// this file alone after editing the handler, name both (`npx hardhat test solidity <this file>
/// test/solidity/handlers/ConsentHandler.sol`) or build first, else the stale artifact is not recognised
/// ("address does not have an associated contract").
contract ConsentModelInvariantTest is CareLedgerFixture {
    /// @dev Layout the runner expects from `targetSelectors()` (as in forge-std's StdInvariant).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    ConsentHandler internal handler;

    function setUp() public {
        _deployFixture();
        handler = new ConsentHandler(ledger);
    }

    /// @notice Only the handler is called (never the ledger directly, which would desynchronise the model).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice The handler's operations (not `step`, which only serves the plain fuzz tests).
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](15);
        selectors[0] = ConsentHandler.grant.selector;
        selectors[1] = ConsentHandler.narrow.selector;
        selectors[2] = ConsentHandler.extend.selector;
        selectors[3] = ConsentHandler.revoke.selector;
        selectors[4] = ConsentHandler.warp.selector;
        selectors[5] = ConsentHandler.setMemberActive.selector;
        selectors[6] = ConsentHandler.changeRole.selector;
        selectors[7] = ConsentHandler.setRolePolicy.selector;
        selectors[8] = ConsentHandler.breakGlass.selector;
        selectors[9] = ConsentHandler.setBreakGlassMaxDuration.selector;
        selectors[10] = ConsentHandler.setPaused.selector;
        selectors[11] = ConsentHandler.anchor.selector;
        selectors[12] = ConsentHandler.open.selector;
        selectors[13] = ConsentHandler.review.selector;
        selectors[14] = ConsentHandler.setOrgActive.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice Every call's outcome matched the model (the handler also samples views after each call), and
    /// the views (`hasAccess`, `canWrite`, `canOpen`, `consentOf`, `breakGlassWindowOf`) match it: a rotating
    /// quarter of all (patient, actor, category, purpose) and (record, actor) cases after each call.
    /// hardhat-config: invariant.runs = 32
    /// hardhat-config: invariant.depth = 48
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_ledgerAgreesWithModel() public {
        handler.requireNoMismatch();
        vm.warp(handler.time());
        handler.checkSlice(handler.opCount() % 4, 4);
    }
}
