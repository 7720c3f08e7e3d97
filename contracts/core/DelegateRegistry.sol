// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsentRegistry} from "../interfaces/IConsentRegistry.sol";
import {IDelegateRegistry} from "../interfaces/IDelegateRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {Delegation, Grant} from "../types/CareTypes.sol";
import {ConsentRegistry} from "./ConsentRegistry.sol";

/// @title DelegateRegistry
/// @notice Guardians and proxies acting on a patient's consent within a category scope.
abstract contract DelegateRegistry is ConsentRegistry, IDelegateRegistry {
    mapping(address patient => mapping(address delegate => Delegation)) internal _delegations;

    /// @inheritdoc IConsentRegistry
    function grantConsent(address grantee, uint16 categories, uint8 purposes, uint40 expiresAt) external whenNotPaused {
        _grantAs(msg.sender, grantee, categories, purposes, expiresAt, msg.sender, 1);
    }

    /// @inheritdoc IConsentRegistry
    /// @dev Not paused, and open to a deactivated patient too: withdrawing consent must always be possible.
    function revokeConsent(address grantee) external {
        _revokeAs(msg.sender, grantee, msg.sender);
    }

    /// @inheritdoc IDelegateRegistry
    function appointDelegate(address delegate, uint16 scope, uint40 expiresAt) external whenNotPaused {
        _requireActivePatient(msg.sender);
        if (delegate == address(0) || delegate == msg.sender) revert InvalidDelegate(delegate);
        if (scope == 0 || scope & ~Categories.ALL != 0) revert InvalidCategories(scope);
        uint40 t = _now();
        if (expiresAt <= t) revert ExpiryNotInFuture(expiresAt, t);
        _delegations[msg.sender][delegate] = Delegation({scope: scope, expiresAt: expiresAt, removed: false});
        emit DelegateAppointed(msg.sender, delegate, scope, expiresAt);
    }

    /// @inheritdoc IDelegateRegistry
    function removeDelegate(address delegate) external {
        Delegation storage d = _delegations[msg.sender][delegate];
        if (d.expiresAt == 0 || d.removed) revert DelegateNotFound(msg.sender, delegate);
        d.removed = true;
        emit DelegateRemoved(msg.sender, delegate);
    }

    /// @inheritdoc IDelegateRegistry
    function grantConsentFor(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt
    ) external whenNotPaused {
        _grantAs(patient, grantee, categories, purposes, expiresAt, msg.sender, 1);
    }

    /// @inheritdoc IDelegateRegistry
    function revokeConsentFor(address patient, address grantee) external {
        _revokeAs(patient, grantee, msg.sender);
    }

    /// @inheritdoc IDelegateRegistry
    function delegationOf(address patient, address delegate) external view returns (Delegation memory delegation) {
        return _delegations[patient][delegate];
    }

    /// @dev Grant for active `patient` as `actor` (the patient or a live delegate acting within its scope);
    /// `epochStep` as in `_grant`.
    function _grantAs(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt,
        address actor,
        uint32 epochStep
    ) internal {
        _requireActivePatient(patient);
        (uint16 scope, uint40 until) = _requireActor(patient, actor);
        if (actor != patient && categories & ~scope != 0) {
            revert DelegateScopeExceeded(patient, actor, scope, categories);
        }
        _grant(patient, grantee, categories, purposes, expiresAt, actor, scope, until, epochStep);
    }

    /// @dev Revoke `patient`'s grant to `grantee` as `actor`: the patient revokes it whole; a delegate removes the
    /// categories in its scope (the whole grant if none is left, else a narrowing that keeps the rest as it was).
    function _revokeAs(address patient, address grantee, address actor) internal {
        (uint16 scope, ) = _requireActor(patient, actor);
        Grant storage g = _grants[patient][grantee];
        uint16 categories = g.categories;
        uint16 kept = categories & ~scope;
        if (kept == 0) {
            _revoke(patient, grantee, actor);
        } else {
            if (kept == categories) revert DelegateScopeExceeded(patient, actor, scope, categories);
            g.categories = kept;
            _bumpEpoch(g);
            emit ConsentNarrowed(patient, grantee, actor, kept, g.purposes);
        }
    }

    /// @dev Reverts unless `actor` is `patient`, or a live, unremoved delegate. Returns the categories `actor` may
    /// act on and until when.
    function _requireActor(address patient, address actor) internal view returns (uint16 scope, uint40 until) {
        if (actor == patient) return (Categories.ALL, type(uint40).max);
        Delegation memory d = _delegations[patient][actor];
        if (d.expiresAt == 0) revert NotPatientOrDelegate(patient, actor);
        if (d.removed) revert DelegateWasRemoved(patient, actor);
        if (d.expiresAt <= _now()) revert DelegateExpired(patient, actor, d.expiresAt);
        return (d.scope, d.expiresAt);
    }
}
