// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../interfaces/IConsentRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {Purposes} from "../types/Purposes.sol";
import {Grant} from "../types/CareTypes.sol";
import {RolePolicyRegistry} from "./RolePolicyRegistry.sol";

/// @title ConsentRegistry
/// @notice One grant per (patient, grantee), one storage slot, so every check is O(1).
/// @dev The internal `_grant`, `_narrow`, `_extend` and `_revoke` take the acting account so that relayed
/// (signed) consent and delegates reuse them and emit the same events.
abstract contract ConsentRegistry is RolePolicyRegistry, IConsentRegistry {
    mapping(address patient => mapping(address grantee => Grant)) internal _grants;

    /// @inheritdoc IConsentRegistry
    function grantConsent(address grantee, uint16 categories, uint8 purposes, uint40 expiresAt) external whenNotPaused {
        _requireActivePatient(msg.sender);
        _grant(msg.sender, grantee, categories, purposes, expiresAt, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    /// @dev Not paused: narrowing only ever reduces access.
    function narrowConsent(address grantee, uint16 categories, uint8 purposes) external {
        _requireActivePatient(msg.sender);
        _narrow(msg.sender, grantee, categories, purposes, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function extendConsent(address grantee, uint40 expiresAt) external whenNotPaused {
        _requireActivePatient(msg.sender);
        _extend(msg.sender, grantee, expiresAt, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    /// @dev Not paused, and open to a deactivated patient too: withdrawing consent must always be possible.
    function revokeConsent(address grantee) external {
        _revoke(msg.sender, grantee, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function consentOf(address patient, address grantee) external view returns (Grant memory grant) {
        return _grants[patient][grantee];
    }

    function _grant(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt,
        address actor
    ) internal {
        if (grantee == address(0) || grantee == patient) revert InvalidGrantee(grantee);
        _checkSets(categories, purposes);
        uint40 t = _now();
        if (expiresAt <= t) revert ExpiryNotInFuture(expiresAt, t);
        _grants[patient][grantee] = Grant({
            categories: categories,
            purposes: purposes,
            expiresAt: expiresAt,
            grantedAt: t
        });
        emit ConsentGranted(patient, grantee, actor, categories, purposes, expiresAt);
    }

    function _narrow(address patient, address grantee, uint16 categories, uint8 purposes, address actor) internal {
        Grant storage g = _liveGrant(patient, grantee);
        _checkSets(categories, purposes);
        uint16 currentCategories = g.categories;
        uint8 currentPurposes = g.purposes;
        bool subset = categories & ~currentCategories == 0 && purposes & ~currentPurposes == 0;
        if (!subset || (categories == currentCategories && purposes == currentPurposes)) {
            revert NotANarrowing(currentCategories, currentPurposes, categories, purposes);
        }
        g.categories = categories;
        g.purposes = purposes;
        emit ConsentNarrowed(patient, grantee, actor, categories, purposes);
    }

    function _extend(address patient, address grantee, uint40 expiresAt, address actor) internal {
        Grant storage g = _liveGrant(patient, grantee);
        uint40 current = g.expiresAt;
        if (expiresAt <= current) revert NotAnExtension(current, expiresAt);
        g.expiresAt = expiresAt;
        emit ConsentExtended(patient, grantee, actor, expiresAt);
    }

    function _revoke(address patient, address grantee, address actor) internal {
        if (_grants[patient][grantee].expiresAt == 0) revert ConsentNotFound(patient, grantee);
        delete _grants[patient][grantee];
        emit ConsentRevoked(patient, grantee, actor);
    }

    function _liveGrant(address patient, address grantee) private view returns (Grant storage g) {
        g = _grants[patient][grantee];
        if (g.expiresAt <= _now()) revert NoLiveConsent(patient, grantee);
    }

    function _checkSets(uint16 categories, uint8 purposes) private pure {
        if (categories == 0 || categories & ~Categories.ALL != 0) revert InvalidCategories(categories);
        if (purposes == 0 || purposes & ~Purposes.ALL != 0) revert InvalidPurposes(purposes);
    }
}
