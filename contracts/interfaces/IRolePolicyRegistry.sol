// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Role, RolePolicy} from "../types/CareTypes.sol";

/// @title IRolePolicyRegistry
/// @notice "Minimum necessary": the data categories each staff role may ever read, write, or open by break-glass.
interface IRolePolicyRegistry {
    /// @notice Governance set the policy of `role`.
    /// @param role the staff role
    /// @param read categories it may open under consent
    /// @param write categories it may anchor, amend or mark in error under consent
    /// @param emergencyRead categories it may open through break-glass (0: may not break the glass)
    /// @param admin who set it
    event RolePolicySet(Role indexed role, uint16 read, uint16 write, uint16 emergencyRead, address indexed admin);

    /// @notice Governance set which categories `role` may erase (crypto-shred).
    /// @param role the role (`Patient` included)
    /// @param erase categories it may erase
    /// @param admin who set it
    event ErasePolicySet(Role indexed role, uint16 erase, address indexed admin);

    /// @notice `mask` has bits outside the defined categories.
    error InvalidCategoryMask(uint16 mask);
    /// @notice `role` is not a staff role, so it has no policy.
    error RoleHasNoPolicy(uint8 role);

    /// @notice Set the policy of a staff role. Governance only.
    /// @param role a staff `Role`
    /// @param read category bitmask it may read under consent
    /// @param write category bitmask it may write under consent
    /// @param emergencyRead category bitmask it may read through break-glass
    function setRolePolicy(uint8 role, uint16 read, uint16 write, uint16 emergencyRead) external;

    /// @notice Set which categories `role` may erase, where the retention rules allow it (`RolePolicy.erase`).
    /// Governance only. Erasing also needs the write rule (see `IRecordRegistry.eraseRecord`), so a staff role
    /// erases only categories it may write. Defaults: a patient erases every category, no staff role any.
    /// `setRolePolicy` leaves it as it is.
    /// @param role a `Role` other than `None` (`Patient` included)
    /// @param erase category bitmask it may erase
    function setErasePolicy(uint8 role, uint16 erase) external;

    /// @notice The policy of `role` (all zero for `None`; only `erase` for `Patient`).
    /// @param role a `Role`
    /// @return policy its category bitmasks
    function rolePolicy(uint8 role) external view returns (RolePolicy memory policy);
}
