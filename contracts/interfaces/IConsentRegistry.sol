// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Grant} from "../types/CareTypes.sol";

/// @title IConsentRegistry
/// @notice A patient's grants: per grantee, a set of categories, a set of purposes of use and an expiry.
interface IConsentRegistry {
    /// @notice `actor` set the consent of `patient` to `grantee` (a new grant or a replacement).
    /// @param patient whose data
    /// @param grantee who may access it
    /// @param actor who acted (the patient, or a delegate)
    /// @param categories category bitmask
    /// @param purposes purpose-of-use bitmask
    /// @param expiresAt end of the grant (exclusive)
    event ConsentGranted(
        address indexed patient,
        address indexed grantee,
        address indexed actor,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt
    );

    /// @notice `actor` narrowed the consent of `patient` to `grantee` to the given sets.
    /// @param patient whose data
    /// @param grantee who may access it
    /// @param actor who acted
    /// @param categories remaining category bitmask
    /// @param purposes remaining purpose bitmask
    event ConsentNarrowed(
        address indexed patient,
        address indexed grantee,
        address indexed actor,
        uint16 categories,
        uint8 purposes
    );

    /// @notice `actor` moved the expiry of the consent of `patient` to `grantee` later.
    /// @param patient whose data
    /// @param grantee who may access it
    /// @param actor who acted
    /// @param expiresAt the new end of the grant
    event ConsentExtended(address indexed patient, address indexed grantee, address indexed actor, uint40 expiresAt);

    /// @notice `actor` revoked the consent of `patient` to `grantee`; effective in the same block.
    /// @param patient whose data
    /// @param grantee who lost access
    /// @param actor who acted
    event ConsentRevoked(address indexed patient, address indexed grantee, address indexed actor);

    /// @notice `grantee` cannot receive a grant (zero address, or the patient).
    error InvalidGrantee(address grantee);
    /// @notice `categories` is empty or has undefined bits.
    error InvalidCategories(uint16 categories);
    /// @notice `purposes` is empty or has undefined bits.
    error InvalidPurposes(uint8 purposes);
    /// @notice `expiresAt` is not after the current block time `currentTime`.
    error ExpiryNotInFuture(uint40 expiresAt, uint40 currentTime);
    /// @notice `expiresAt` lies after `limit`: the governance maximum (`limits().maxConsentDuration` from now) or, for
    /// a delegate, the end of its delegation, whichever is sooner.
    error ExpiryBeyondLimit(uint40 expiresAt, uint40 limit);
    /// @notice `patient` has no live (unexpired) consent for `grantee`.
    error NoLiveConsent(address patient, address grantee);
    /// @notice `patient` has no consent, live or expired, for `grantee` to revoke.
    error ConsentNotFound(address patient, address grantee);
    /// @notice The new sets are not a strict subset of the current ones.
    error NotANarrowing(uint16 currentCategories, uint8 currentPurposes, uint16 categories, uint8 purposes);
    /// @notice The new expiry is not later than the current one.
    error NotAnExtension(uint40 currentExpiresAt, uint40 expiresAt);

    /// @notice Grant (or replace the grant of) `grantee` access to the caller's records. Caller: an active patient.
    /// The grant is live only for the grantee's current standing: if the grantee is not yet a member, or later
    /// changes role or is deactivated and reactivated, the grant stays inert (`ConsentPredatesStanding`) until
    /// given again. Voids every unrelayed signed consent for `grantee` (the grant's epoch moves on).
    /// @param grantee the clinician, clerk or organisation account
    /// @param categories category bitmask, non-empty
    /// @param purposes purpose-of-use bitmask, non-empty
    /// @param expiresAt end of the grant, in the future, at most `limits().maxConsentDuration` from now
    function grantConsent(address grantee, uint16 categories, uint8 purposes, uint40 expiresAt) external;

    /// @notice Narrow a live grant to a strict subset of its categories and/or purposes. Allowed while paused.
    /// @param grantee the grantee
    /// @param categories the remaining categories (a subset of the current ones, non-empty)
    /// @param purposes the remaining purposes (a subset of the current ones, non-empty)
    function narrowConsent(address grantee, uint16 categories, uint8 purposes) external;

    /// @notice Move the expiry of a live grant later (at most `limits().maxConsentDuration` from now).
    /// @param grantee the grantee
    /// @param expiresAt the new expiry, later than the current one
    function extendConsent(address grantee, uint40 expiresAt) external;

    /// @notice Revoke the grant of `grantee`; effective in the same block. Allowed while paused, and for a
    /// deactivated patient. Voids every unrelayed signed consent for `grantee`.
    /// @param grantee the grantee
    function revokeConsent(address grantee) external;

    /// @notice The stored grant of `patient` to `grantee` (zero sets and expiry if none or revoked; check
    /// `expiresAt` for liveness, and `grantedAt` against the grantee's `Member.since`). `epoch` is what a signed
    /// consent for this grantee must name.
    /// @param patient whose data
    /// @param grantee the grantee
    /// @return grant the stored grant
    function consentOf(address patient, address grantee) external view returns (Grant memory grant);
}
