// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ICareGovernance
/// @notice Governance (the default admin, transferred in two delayed steps) and the incident pause.
interface ICareGovernance {
    /// @notice Pause anchoring, granting and extending consent during an incident. Governance only.
    /// Opening records (under consent or break-glass), revoking and narrowing consent stay available.
    function pause() external;

    /// @notice Lift the incident pause. Governance only.
    function unpause() external;
}
