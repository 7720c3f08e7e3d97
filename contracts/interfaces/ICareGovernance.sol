// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Limits} from "../types/CareTypes.sol";

/// @title ICareGovernance
/// @notice Governance (the default admin, transferred in two delayed steps), the incident pause and the limits
/// that bound consent and break-glass.
interface ICareGovernance {
    /// @notice `admin` set the limits (see `Limits`).
    /// @param maxSignatureLifetime longest a signed consent's deadline may lie ahead, in seconds
    /// @param maxConsentDuration longest a grant may run from the block it is given or extended in, in seconds
    /// @param breakGlassWarmup seconds a member waits after onboarding, a role change or reactivation before it may
    /// break the glass
    /// @param admin who set them
    event LimitsSet(
        uint32 maxSignatureLifetime,
        uint32 maxConsentDuration,
        uint32 breakGlassWarmup,
        address indexed admin
    );

    /// @notice A limit is out of range: both lifetimes must be 1 s .. 10 years, the warm-up at most 7 days.
    error InvalidLimits(uint32 maxSignatureLifetime, uint32 maxConsentDuration, uint32 breakGlassWarmup);

    /// @notice Pause onboarding, organisation registration, role changes, reactivations, anchoring, granting and
    /// extending consent during an incident. Governance only. Opening records (under consent or break-glass),
    /// revoking and narrowing consent, deactivating members and suspending organisations stay available: that is
    /// how a compromised key is cut off during the pause.
    function pause() external;

    /// @notice Lift the incident pause. Governance only.
    function unpause() external;

    /// @notice Set the limits on signed-consent deadlines, consent expiry and the break-glass warm-up.
    /// Governance only; allowed while paused. Applies to calls made from now on; existing grants keep their expiry.
    /// @param maxSignatureLifetime see `Limits.maxSignatureLifetime`
    /// @param maxConsentDuration see `Limits.maxConsentDuration`
    /// @param breakGlassWarmup see `Limits.breakGlassWarmup`
    function setLimits(uint32 maxSignatureLifetime, uint32 maxConsentDuration, uint32 breakGlassWarmup) external;

    /// @notice The current limits. Defaults: signatures 7 days, consent 366 days, break-glass warm-up 1 hour.
    /// @return current the limits
    function limits() external view returns (Limits memory current);
}
