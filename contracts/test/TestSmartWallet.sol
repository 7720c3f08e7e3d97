// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestSmartWallet
/// @notice TEST ONLY. A minimal smart account (ERC-1271) for CareLedger's tests: it accepts a signature when its
/// owner EOA signed the hash, and can be switched to reject every signature, like a Safe whose owners changed.
/// It also forwards calls from its owner, so the wallet itself can act as a patient (appoint delegates, …).
/// @dev Deliberately naive: it accepts the owner's raw signature over the hash it is asked about, with no
/// wallet-specific wrapping (ERC-7739 style), so two such wallets of one owner accept the same signature.
contract TestSmartWallet is IERC1271 {
    /// @notice The ERC-1271 magic value for an accepted signature (`isValidSignature.selector`).
    bytes4 internal constant MAGIC_VALUE = IERC1271.isValidSignature.selector;
    /// @notice What the wallet answers for a rejected signature.
    bytes4 internal constant REJECTED = 0xffffffff;

    /// @notice The EOA whose signatures the wallet accepts and who may use it.
    address public immutable owner;
    /// @notice When true, the wallet rejects every signature.
    bool public rejecting;

    /// @notice The owner switched rejection on or off.
    /// @param rejecting the new setting
    event RejectingSet(bool rejecting);

    /// @notice `caller` is not the owner.
    error NotOwner(address caller);

    /// @param owner_ the EOA that signs for the wallet
    constructor(address owner_) {
        owner = owner_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Switch rejection of every signature on or off.
    /// @param rejecting_ true to reject every signature
    function setRejecting(bool rejecting_) external onlyOwner {
        rejecting = rejecting_;
        emit RejectingSet(rejecting_);
    }

    /// @notice Call `target` with `data` as the wallet; a revert is passed through unchanged.
    /// @param target the contract to call
    /// @param data the calldata
    /// @return result the call's return data
    function execute(address target, bytes calldata data) external onlyOwner returns (bytes memory result) {
        return Address.functionCall(target, data);
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4 magicValue) {
        if (rejecting) return REJECTED;
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? MAGIC_VALUE : REJECTED;
    }
}
