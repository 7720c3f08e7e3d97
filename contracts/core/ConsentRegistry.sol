// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../interfaces/IConsentRegistry.sol";
import {IDelegateRegistry} from "../interfaces/IDelegateRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {Purposes} from "../types/Purposes.sol";
import {Grant} from "../types/CareTypes.sol";
import {RolePolicyRegistry} from "./RolePolicyRegistry.sol";

/// @title ConsentRegistry
/// @notice One grant per (patient, grantee), one storage slot, so every check is O(1).
/// @dev The internal `_grant`, `_narrow`, `_extend` and `_revoke` take the acting account so that relayed
/// (signed) consent and delegates reuse them and emit the same events. Every direct change and every revocation
/// moves the grant's `epoch` on, which voids every signed consent for that grantee signed before it.
abstract contract ConsentRegistry is RolePolicyRegistry, IConsentRegistry {
    mapping(address patient => mapping(address grantee => Grant)) internal _grants;

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
    function consentOf(address patient, address grantee) external view returns (Grant memory grant) {
        return _grants[patient][grantee];
    }

    /// @dev Give (or replace) the grant of `patient` to `grantee`. `actor` acts with category `scope` (all for the
    /// patient, the delegation's scope for a delegate) until `actorUntil`: the grant may not outlive that, nor the
    /// governance limit. Categories of a live grant outside `scope` are kept untouched, and then the purposes and
    /// expiry (which they share) and the grant time (which decides whether they are live) may not change either.
    /// `epochStep` is 1 for a direct change (voiding older signatures), 0 for a relayed one.
    function _grant(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt,
        address actor,
        uint16 scope,
        uint40 actorUntil,
        uint32 epochStep
    ) internal {
        if (grantee == address(0) || grantee == patient) revert InvalidGrantee(grantee);
        _checkSets(categories, purposes);
        uint40 t = _now();
        _checkExpiry(expiresAt, t, actorUntil);
        Grant storage g = _grants[patient][grantee];
        uint40 oldExpiry = g.expiresAt;
        uint16 kept = oldExpiry > t ? g.categories & ~scope : 0;
        uint40 grantedAt = t;
        if (kept != 0) {
            // The kept categories share the grant's purposes and expiry: a delegate may not change those.
            if (purposes != g.purposes || expiresAt != oldExpiry) {
                revert IDelegateRegistry.DelegateScopeExceeded(patient, actor, scope, categories | kept);
            }
            categories |= kept;
            grantedAt = g.grantedAt;
        }
        uint32 epoch;
        unchecked {
            // 2^32 direct changes of one grant are out of reach.
            epoch = g.epoch + epochStep;
        }
        _grants[patient][grantee] = Grant({
            categories: categories,
            purposes: purposes,
            expiresAt: expiresAt,
            grantedAt: grantedAt,
            epoch: epoch
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
        _bumpEpoch(g);
        emit ConsentNarrowed(patient, grantee, actor, categories, purposes);
    }

    function _extend(address patient, address grantee, uint40 expiresAt, address actor) internal {
        Grant storage g = _liveGrant(patient, grantee);
        uint40 current = g.expiresAt;
        if (expiresAt <= current) revert NotAnExtension(current, expiresAt);
        _checkExpiry(expiresAt, _now(), type(uint40).max);
        g.expiresAt = expiresAt;
        _bumpEpoch(g);
        emit ConsentExtended(patient, grantee, actor, expiresAt);
    }

    /// @dev Revoke the whole grant. The slot keeps only the next epoch, so older signatures stay void.
    function _revoke(address patient, address grantee, address actor) internal {
        Grant storage g = _grants[patient][grantee];
        if (g.expiresAt == 0) revert ConsentNotFound(patient, grantee);
        uint32 epoch = g.epoch;
        unchecked {
            ++epoch;
        }
        _grants[patient][grantee] = Grant({categories: 0, purposes: 0, expiresAt: 0, grantedAt: 0, epoch: epoch});
        emit ConsentRevoked(patient, grantee, actor);
    }

    /// @dev Move `g`'s epoch on (2^32 direct changes of one grant are out of reach).
    function _bumpEpoch(Grant storage g) internal {
        unchecked {
            ++g.epoch;
        }
    }

    /// @dev Revert unless `expiresAt` is after `t`, at most the governance limit past `t`, and at most `until`.
    function _checkExpiry(uint40 expiresAt, uint40 t, uint40 until) private view {
        if (expiresAt <= t) revert ExpiryNotInFuture(expiresAt, t);
        uint40 limit;
        unchecked {
            // uint40 seconds last until year 36812.
            limit = t + _maxConsentDuration;
        }
        if (until < limit) limit = until;
        if (expiresAt > limit) revert ExpiryBeyondLimit(expiresAt, limit);
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
