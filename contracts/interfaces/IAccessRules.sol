// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Role} from "../types/CareTypes.sol";

/// @title IAccessRules
/// @notice The access decision: active member ∩ role policy ∩ live consent (or an open break-glass window).
/// Each refusal is its own custom error so a caller can show exactly why.
interface IAccessRules {
    /// @notice `category` is not a defined category index.
    error InvalidCategory(uint8 category);
    /// @notice `purpose` is not a defined purpose-of-use index.
    error InvalidPurpose(uint8 purpose);
    /// @notice The policy of `role` never allows `account` this category (minimum necessary).
    error CategoryNotAllowedForRole(address account, Role role, uint8 category);
    /// @notice `patient` has given `accessor` no consent.
    error ConsentMissing(address patient, address accessor);
    /// @notice The consent of `patient` to `accessor` ended at `expiredAt`.
    error ConsentExpired(address patient, address accessor, uint40 expiredAt);
    /// @notice The consent of `patient` to `accessor` does not cover `category`.
    error CategoryNotConsented(address patient, address accessor, uint8 category);
    /// @notice The consent of `patient` to `accessor` does not cover `purpose`.
    error PurposeNotConsented(address patient, address accessor, uint8 purpose);
    /// @notice The consent of `patient` to `writer` has only purposes `purposes`; a write needs treatment, payment or
    /// operations among them.
    error WritePurposeNotConsented(address patient, address writer, uint8 purposes);
    /// @notice `accessor` may read this only through break-glass, and has no open window on `patient`.
    error NoBreakGlassWindow(address patient, address accessor);
    /// @notice The grant of `patient` to `accessor` was given at `grantedAt`, before `since`, when the accessor's
    /// current standing began (onboarding, a role change or a reactivation): it stays inert until given again.
    error ConsentPredatesStanding(address patient, address accessor, uint40 grantedAt, uint40 since);
    /// @notice A read through a break-glass window is only for the emergency purpose, not `purpose`.
    error BreakGlassPurposeNotEmergency(uint8 purpose);

    /// @notice Whether `accessor` may open `patient`'s records of `category` for `purpose` now, without break-glass:
    /// the patient themself (even deactivated), or an active member (of an active organisation) whose role allows
    /// the category and who holds a live consent, given no earlier than its current standing began, covering the category
    /// and purpose. O(1). A break-glass read is only ever for the emergency purpose.
    /// @param patient whose records
    /// @param accessor who would open them
    /// @param category category index
    /// @param purpose purpose-of-use index
    /// @return allowed true if an `openRecord` would pass without break-glass
    function hasAccess(
        address patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) external view returns (bool allowed);

    /// @notice Whether `writer` may anchor, amend or mark in error `patient`'s records of `category` now: the
    /// patient themself, or an active member whose role may write the category and who holds a live consent covering
    /// it for treatment, payment or operations
    /// (false while the contract is paused, as the write would revert).
    /// @param patient whose records
    /// @param writer who would write
    /// @param category category index
    /// @return allowed true if the write would pass the access check
    function canWrite(address patient, address writer, uint8 category) external view returns (bool allowed);
}
