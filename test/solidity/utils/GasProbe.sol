// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CareLedger} from "../../../contracts/CareLedger.sol";
import {vm} from "./Vm.sol";

/// @notice Measures the gas of one ledger call in a fresh call frame (so the test's own memory growth never
/// counts), as `who`.
contract GasProbe {
    function gasOf(CareLedger ledger, address who, bytes calldata data) external returns (uint256 used) {
        vm.prank(who);
        uint256 before = gasleft();
        (bool ok, ) = address(ledger).call(data);
        used = before - gasleft();
        require(ok, "measured call reverted");
    }
}
