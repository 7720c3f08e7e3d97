// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICareGovernance} from "../interfaces/ICareGovernance.sol";
import {Limits} from "../types/CareTypes.sol";

/// @title CareGovernance
/// @notice Governance, the incident pause and the limits on consent and break-glass.
/// @dev Why `AccessControlDefaultAdminRules` and not `AccessManager`: CareLedger is one contract whose hot
/// paths (consent, anchoring, opening) are gated by member state, not by governance roles, so the only
/// governance-gated calls are policy, registrar and pause changes. `AccessControlDefaultAdminRules` gives
/// exactly the "two-step admin transfer with a delay" (begin → wait → accept, cancellable) in the
/// same contract, with no extra deployment and no external `canCall` on every restricted call, which
/// `AccessManager` would add. Registrars are an ordinary role granted and revoked by the admin.
/// The three limits are declared right after `Pausable`'s flag so they share its slot: a paused-checked call
/// (granting, extending, relaying a grant) reads them warm.
abstract contract CareGovernance is AccessControlDefaultAdminRules, Pausable, ICareGovernance {
    /// @notice Role of the accounts that onboard organisations, staff and patients.
    bytes32 public constant REGISTRAR_ROLE = keccak256("careledger.role.registrar");

    uint32 private constant _TEN_YEARS = 3650 days;

    uint32 internal _maxSignatureLifetime;
    uint32 internal _maxConsentDuration;
    uint32 internal _breakGlassWarmup;

    /// @param adminTransferDelay seconds a new admin must wait before accepting the admin role
    /// @param admin the initial governance admin
    constructor(uint48 adminTransferDelay, address admin) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        _setLimits(7 days, 366 days, 1 hours);
    }

    /// @inheritdoc ICareGovernance
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc ICareGovernance
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @inheritdoc ICareGovernance
    function setLimits(
        uint32 maxSignatureLifetime,
        uint32 maxConsentDuration,
        uint32 breakGlassWarmup
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setLimits(maxSignatureLifetime, maxConsentDuration, breakGlassWarmup);
    }

    /// @inheritdoc ICareGovernance
    function limits() external view returns (Limits memory current) {
        return Limits(_maxSignatureLifetime, _maxConsentDuration, _breakGlassWarmup);
    }

    /// @dev The current block time as stored (uint40 lasts until year 36812).
    function _now() internal view returns (uint40) {
        return uint40(block.timestamp);
    }

    function _setLimits(uint32 signatureLifetime, uint32 consentDuration, uint32 warmup) private {
        if (
            signatureLifetime == 0 ||
            signatureLifetime > _TEN_YEARS ||
            consentDuration == 0 ||
            consentDuration > _TEN_YEARS ||
            warmup > 7 days
        ) revert InvalidLimits(signatureLifetime, consentDuration, warmup);
        _maxSignatureLifetime = signatureLifetime;
        _maxConsentDuration = consentDuration;
        _breakGlassWarmup = warmup;
        emit LimitsSet(signatureLifetime, consentDuration, warmup, msg.sender);
    }
}
