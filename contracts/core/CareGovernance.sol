// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICareGovernance} from "../interfaces/ICareGovernance.sol";

/// @title CareGovernance
/// @notice Governance and the incident pause.
/// @dev Why `AccessControlDefaultAdminRules` and not `AccessManager`: CareLedger is one contract whose hot
/// paths (consent, anchoring, opening) are gated by member state, not by governance roles, so the only
/// governance-gated calls are policy, registrar and pause changes. `AccessControlDefaultAdminRules` gives
/// exactly the brief's "two-step admin transfer with a delay" (begin → wait → accept, cancellable) in the
/// same contract, with no extra deployment and no external `canCall` on every restricted call, which
/// `AccessManager` would add. Registrars are an ordinary role granted and revoked by the admin.
abstract contract CareGovernance is AccessControlDefaultAdminRules, Pausable, ICareGovernance {
    /// @notice Role of the accounts that onboard organisations, staff and patients.
    bytes32 public constant REGISTRAR_ROLE = keccak256("careledger.role.registrar");

    /// @param adminTransferDelay seconds a new admin must wait before accepting the admin role
    /// @param admin the initial governance admin
    constructor(uint48 adminTransferDelay, address admin) AccessControlDefaultAdminRules(adminTransferDelay, admin) {}

    /// @inheritdoc ICareGovernance
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc ICareGovernance
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @dev The current block time as stored (uint40 lasts until year 36812).
    function _now() internal view returns (uint40) {
        return uint40(block.timestamp);
    }
}
