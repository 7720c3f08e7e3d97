// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IDelegateRegistry} from "../interfaces/IDelegateRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {Delegation} from "../types/CareTypes.sol";
import {ConsentRegistry} from "./ConsentRegistry.sol";

/// @title DelegateRegistry
/// @notice Guardians and proxies acting on a patient's consent within a category scope.
abstract contract DelegateRegistry is ConsentRegistry, IDelegateRegistry {
    mapping(address patient => mapping(address delegate => Delegation)) internal _delegations;

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
        _requireActivePatient(patient);
        _requireActor(patient, msg.sender, categories);
        _grant(patient, grantee, categories, purposes, expiresAt, msg.sender);
    }

    /// @inheritdoc IDelegateRegistry
    function revokeConsentFor(address patient, address grantee) external {
        _requireActor(patient, msg.sender, _grants[patient][grantee].categories);
        _revoke(patient, grantee, msg.sender);
    }

    /// @inheritdoc IDelegateRegistry
    function delegationOf(address patient, address delegate) external view returns (Delegation memory delegation) {
        return _delegations[patient][delegate];
    }

    /// @dev Reverts unless `actor` is `patient`, or a live, unremoved delegate whose scope covers `categories`.
    function _requireActor(address patient, address actor, uint16 categories) internal view {
        if (actor == patient) return;
        Delegation memory d = _delegations[patient][actor];
        if (d.expiresAt == 0) revert NotPatientOrDelegate(patient, actor);
        if (d.removed) revert DelegateWasRemoved(patient, actor);
        if (d.expiresAt <= _now()) revert DelegateExpired(patient, actor, d.expiresAt);
        if (categories & ~d.scope != 0) revert DelegateScopeExceeded(patient, actor, d.scope, categories);
    }
}
