// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessRules} from "../interfaces/IAccessRules.sol";
import {Categories} from "../types/Categories.sol";
import {Purposes} from "../types/Purposes.sol";
import {AccessPath, Grant, Member, Role, RolePolicy} from "../types/CareTypes.sol";
import {BreakGlass} from "./BreakGlass.sol";

/// @title AccessRules
/// @notice The single place that decides reads and writes: active member ∩ role policy ∩ live consent, or
/// an open break-glass window for reads. Each decision reads at most four storage slots.
/// @dev Each rule takes `strict`: true reverts with the precise reason (transactions), false returns the
/// "denied" value (views). Both share one code path, so views and transactions cannot disagree.
abstract contract AccessRules is BreakGlass, IAccessRules {
    /// @inheritdoc IAccessRules
    function hasAccess(
        address patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) external view returns (bool allowed) {
        _checkCategory(category);
        _checkPurpose(purpose);
        AccessPath path = _authorizeRead(patient, accessor, category, purpose, _lenient());
        return path == AccessPath.Patient || path == AccessPath.Consent;
    }

    /// @inheritdoc IAccessRules
    function canWrite(address patient, address writer, uint8 category) external view returns (bool allowed) {
        _checkCategory(category);
        return !paused() && _authorizeWrite(patient, writer, category, _lenient()) != 0;
    }

    /// @dev How `accessor` may read `patient`'s `category` for `purpose`; `None` (or a revert, if `strict`)
    /// when it may not. Category and purpose must be range-checked by the caller.
    function _authorizeRead(
        address patient,
        address accessor,
        uint8 category,
        uint8 purpose,
        bool strict
    ) internal view returns (AccessPath) {
        Member memory m = _members[accessor];
        Role role = m.role;
        // A patient reads their own records even when deactivated.
        if (accessor == patient && role == Role.Patient) return AccessPath.Patient;
        if (!_isActive(m, accessor, strict)) return AccessPath.None;

        RolePolicy storage p = _policies[role];
        uint16 bit = Categories.bit(category);
        bool mayRead = p.read & bit != 0;
        bool mayBreakGlass = p.emergencyRead & bit != 0;
        if (!mayRead && !mayBreakGlass) {
            if (strict) revert CategoryNotAllowedForRole(accessor, role, category);
            return AccessPath.None;
        }
        if (mayRead) {
            Grant storage g = _grants[patient][accessor];
            if (_covers(g, m.since, bit, Purposes.bit(purpose))) return AccessPath.Consent;
            if (!mayBreakGlass || !_windowOpen(patient, accessor)) {
                if (strict) {
                    _revertConsentCoverage(g, m.since, patient, accessor, category);
                    revert PurposeNotConsented(patient, accessor, purpose);
                }
                return AccessPath.None;
            }
        } else if (!_windowOpen(patient, accessor)) {
            if (strict) revert NoBreakGlassWindow(patient, accessor);
            return AccessPath.None;
        }
        // Break-glass is for emergency treatment only.
        if (purpose != Purposes.EMERGENCY) {
            if (strict) revert BreakGlassPurposeNotEmergency(purpose);
            return AccessPath.None;
        }
        return AccessPath.BreakGlass;
    }

    /// @dev The member id of `writer` if it may write `patient`'s `category` now; 0 (or a revert, if
    /// `strict`) when it may not. Writes need consent for the category, for any purpose.
    function _authorizeWrite(
        address patient,
        address writer,
        uint8 category,
        bool strict
    ) internal view returns (uint32 writerId) {
        Member memory m = _members[writer];
        if (!_isActive(m, writer, strict)) return 0;
        if (writer == patient && m.role == Role.Patient) return m.id;

        uint16 bit = Categories.bit(category);
        if (_policies[m.role].write & bit == 0) {
            if (strict) revert CategoryNotAllowedForRole(writer, m.role, category);
            return 0;
        }
        Grant storage g = _grants[patient][writer];
        if (_covers(g, m.since, bit, Purposes.WRITE)) return m.id;
        if (strict) {
            _revertConsentCoverage(g, m.since, patient, writer, category);
            revert WritePurposeNotConsented(patient, writer, g.purposes);
        }
        return 0;
    }

    function _windowOpen(address patient, address accessor) private view returns (bool) {
        return _windows[patient][accessor].expiresAt > _now();
    }

    /// @dev Whether grant `g` is live now, was given no earlier than the second the grantee's standing began (`since`;
    /// a node may mine several blocks in one second), and covers
    /// category bit `bit` and one of the purposes in `purposes`.
    function _covers(Grant storage g, uint40 since, uint16 bit, uint8 purposes) private view returns (bool) {
        return g.expiresAt > _now() && g.grantedAt >= since && g.categories & bit != 0 && g.purposes & purposes != 0;
    }

    /// @dev Revert if grant `g` is missing, expired, older than the grantee's standing (`since`) or lacks
    /// `category`; the caller reverts with the purpose reason.
    function _revertConsentCoverage(
        Grant storage g,
        uint40 since,
        address patient,
        address accessor,
        uint8 category
    ) private view {
        if (g.expiresAt == 0) revert ConsentMissing(patient, accessor);
        if (g.expiresAt <= _now()) revert ConsentExpired(patient, accessor, g.expiresAt);
        if (g.grantedAt < since) revert ConsentPredatesStanding(patient, accessor, g.grantedAt, since);
        if (g.categories & Categories.bit(category) == 0) revert CategoryNotConsented(patient, accessor, category);
    }

    function _checkCategory(uint8 category) internal pure {
        if (category >= Categories.COUNT) revert InvalidCategory(category);
    }

    function _checkPurpose(uint8 purpose) internal pure {
        if (purpose >= Purposes.COUNT) revert InvalidPurpose(purpose);
    }
}
