// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Delegation} from "../types/CareTypes.sol";

/// @title IDelegateRegistry
/// @notice Guardians and proxies (a minor's parent, a power of attorney) who manage a patient's consent within a
/// category scope until an expiry. The patient can remove a delegate at any time.
interface IDelegateRegistry {
    /// @notice `patient` appointed `delegate` to grant and revoke consent within `scope` until `expiresAt`.
    /// @param patient the patient
    /// @param delegate the guardian or proxy
    /// @param scope category bitmask the delegate may grant and revoke
    /// @param expiresAt end of the delegation (exclusive)
    event DelegateAppointed(address indexed patient, address indexed delegate, uint16 scope, uint40 expiresAt);

    /// @notice `patient` removed `delegate`.
    /// @param patient the patient
    /// @param delegate the former delegate
    event DelegateRemoved(address indexed patient, address indexed delegate);

    /// @notice `delegate` cannot be appointed (zero address, or the patient).
    error InvalidDelegate(address delegate);
    /// @notice `account` is neither `patient` nor one of the patient's delegates.
    error NotPatientOrDelegate(address patient, address account);
    /// @notice The delegation of `delegate` for `patient` ended at `expiredAt`.
    error DelegateExpired(address patient, address delegate, uint40 expiredAt);
    /// @notice `patient` removed `delegate`.
    error DelegateWasRemoved(address patient, address delegate);
    /// @notice `delegate` acted on categories `categories` outside its scope `scope`.
    error DelegateScopeExceeded(address patient, address delegate, uint16 scope, uint16 categories);
    /// @notice `patient` has no delegation to `delegate` to remove.
    error DelegateNotFound(address patient, address delegate);

    /// @notice Appoint (or re-appoint) `delegate` for the calling active patient.
    /// @param delegate the guardian or proxy
    /// @param scope category bitmask, non-empty
    /// @param expiresAt end of the delegation, in the future
    function appointDelegate(address delegate, uint16 scope, uint40 expiresAt) external;

    /// @notice Remove `delegate`; effective in the same block. Allowed while paused and for a deactivated patient.
    /// @param delegate the delegate
    function removeDelegate(address delegate) external;

    /// @notice As a live delegate of `patient`, grant `grantee` access within the delegate's scope, until at most
    /// the end of the delegation. On a live grant that holds categories outside the scope, those stay untouched:
    /// the delegate adds or replaces only its own categories and must keep the grant's purposes and expiry, which
    /// they share (else `DelegateScopeExceeded` with the whole resulting category set). Removing the delegate later does not end grants it gave (the patient
    /// revokes them); they end with the delegation's expiry at the latest.
    /// @param patient the patient (must be active)
    /// @param grantee the grantee
    /// @param categories category bitmask within the delegate's scope
    /// @param purposes purpose-of-use bitmask
    /// @param expiresAt end of the grant
    function grantConsentFor(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt
    ) external;

    /// @notice As a live delegate of `patient`, remove the categories in its scope from the grant of `grantee`:
    /// the whole grant (`ConsentRevoked`) when nothing else is left, else a narrowing (`ConsentNarrowed`) that keeps
    /// the categories outside the scope as they were. Refused (`DelegateScopeExceeded`) when the grant holds no
    /// category of the scope. Allowed while paused and for a deactivated patient.
    /// @param patient the patient
    /// @param grantee the grantee
    function revokeConsentFor(address patient, address grantee) external;

    /// @notice The stored delegation of `patient` to `delegate`.
    /// @param patient the patient
    /// @param delegate the delegate
    /// @return delegation scope, expiry and whether it was removed
    function delegationOf(address patient, address delegate) external view returns (Delegation memory delegation);
}
