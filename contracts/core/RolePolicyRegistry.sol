// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRolePolicyRegistry} from "../interfaces/IRolePolicyRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {Role, RolePolicy} from "../types/CareTypes.sol";
import {MemberRegistry} from "./MemberRegistry.sol";

/// @title RolePolicyRegistry
/// @notice "Minimum necessary" per staff role, set by governance, with sensible defaults at deployment.
abstract contract RolePolicyRegistry is MemberRegistry, IRolePolicyRegistry {
    mapping(Role role => RolePolicy) internal _policies;

    constructor() {
        uint16 c = Categories.CLINICAL;
        // A doctor reads and writes every clinical category, never billing; may break the glass.
        _setRolePolicy(Role.Doctor, c, c, c);
        // A nurse reads allergies, medications, vitals and labs; writes medications and vitals.
        _setRolePolicy(
            Role.Nurse,
            _mask4(Categories.ALLERGIES, Categories.MEDICATIONS, Categories.VITALS, Categories.LABS),
            Categories.bit(Categories.MEDICATIONS) | Categories.bit(Categories.VITALS),
            0
        );
        // A billing clerk reads demographics and billing, writes billing.
        _setRolePolicy(
            Role.BillingClerk,
            Categories.bit(Categories.DEMOGRAPHICS) | Categories.bit(Categories.BILLING),
            Categories.bit(Categories.BILLING),
            0
        );
        // An auditor reads the audit trail (events and heads), never record content.
        _setRolePolicy(Role.Auditor, 0, 0, 0);
        // An emergency responder reads only through break-glass: clinical data but not mental health.
        _setRolePolicy(Role.EmergencyResponder, 0, 0, c & ~Categories.bit(Categories.MENTAL_HEALTH));
        // A patient may erase any of their records; no staff role may until governance allows it where the
        // retention rules do.
        _setErasePolicy(Role.Patient, Categories.ALL);
    }

    /// @inheritdoc IRolePolicyRegistry
    function setRolePolicy(
        uint8 role,
        uint16 read,
        uint16 write,
        uint16 emergencyRead
    ) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Role r = _toRole(role);
        if (r == Role.Patient) revert RoleHasNoPolicy(role);
        _checkMask(read);
        _checkMask(write);
        _checkMask(emergencyRead);
        _setRolePolicy(r, read, write, emergencyRead);
    }

    /// @inheritdoc IRolePolicyRegistry
    function setErasePolicy(uint8 role, uint16 erase) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Role r = _toRole(role);
        _checkMask(erase);
        _setErasePolicy(r, erase);
    }

    /// @inheritdoc IRolePolicyRegistry
    function rolePolicy(uint8 role) external view returns (RolePolicy memory policy) {
        if (role > uint8(type(Role).max)) revert InvalidRole(role);
        return _policies[Role(role)];
    }

    function _setRolePolicy(Role role, uint16 read, uint16 write, uint16 emergencyRead) private {
        RolePolicy storage p = _policies[role];
        (p.read, p.write, p.emergencyRead) = (read, write, emergencyRead);
        emit RolePolicySet(role, read, write, emergencyRead, msg.sender);
    }

    function _setErasePolicy(Role role, uint16 erase) private {
        _policies[role].erase = erase;
        emit ErasePolicySet(role, erase, msg.sender);
    }

    function _checkMask(uint16 mask) private pure {
        if (mask & ~Categories.ALL != 0) revert InvalidCategoryMask(mask);
    }

    function _mask4(uint8 a, uint8 b, uint8 c, uint8 d) private pure returns (uint16) {
        return Categories.bit(a) | Categories.bit(b) | Categories.bit(c) | Categories.bit(d);
    }
}
