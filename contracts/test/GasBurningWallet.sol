// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @title GasBurningWallet
/// @notice TEST ONLY. A hostile smart account (ERC-1271): `isValidSignature` burns every unit of gas it is given
/// and then accepts, so a relayer that forwards all its gas pays for all of it.
contract GasBurningWallet is IERC1271 {
    /// @inheritdoc IERC1271
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4 magicValue) {
        // solhint-disable-next-line no-empty-blocks
        while (gasleft() > 3_000) {}
        return IERC1271.isValidSignature.selector;
    }
}
