// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IMemberRegistry} from "../interfaces/IMemberRegistry.sol";
import {Member, Organization, Role} from "../types/CareTypes.sol";
import {CareGovernance} from "./CareGovernance.sol";

/// @title MemberRegistry
/// @notice Organisations and members (staff and patients), onboarded by registrars.
abstract contract MemberRegistry is CareGovernance, IMemberRegistry {
    mapping(address account => Member) internal _members;
    mapping(address account => bytes32) internal _encryptionKeys;
    mapping(uint32 memberId => address) internal _memberAddresses;
    mapping(uint32 orgId => Organization) internal _organizations;
    uint32 internal _memberCount;

    /// @inheritdoc IMemberRegistry
    function registerOrganization(uint32 orgId) external onlyRole(REGISTRAR_ROLE) {
        if (orgId == 0) revert InvalidOrganizationId(orgId);
        if (_organizations[orgId].registered) revert OrganizationAlreadyRegistered(orgId);
        _organizations[orgId] = Organization({registered: true, active: true, since: _now()});
        emit OrganizationRegistered(orgId, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function setOrganizationActive(uint32 orgId, bool active) external onlyRole(REGISTRAR_ROLE) {
        Organization storage org = _organizations[orgId];
        if (!org.registered) revert OrganizationNotRegistered(orgId);
        if (org.active == active) revert OrganizationStatusUnchanged(orgId, active);
        org.active = active;
        emit OrganizationStatusChanged(orgId, active, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function onboardMember(
        address account,
        uint8 role,
        uint32 orgId,
        bytes32 encryptionKey
    ) external onlyRole(REGISTRAR_ROLE) {
        if (account == address(0)) revert ZeroAddress();
        Role r = _toRole(role);
        Member storage existing = _members[account];
        if (existing.role != Role.None) revert MemberAlreadyRegistered(account);
        if (encryptionKey == bytes32(0)) revert ZeroEncryptionKey(account);
        // Staff must belong to an active organisation; a patient may belong to none (orgId 0).
        if (r != Role.Patient || orgId != 0) {
            if (orgId == 0) revert InvalidOrganizationId(orgId);
            Organization memory org = _organizations[orgId];
            if (!org.registered) revert OrganizationNotRegistered(orgId);
            if (!org.active) revert OrganizationInactive(orgId);
        }
        uint32 id = ++_memberCount;
        // The nonce survives: signatures the account made before it was onboarded stay used.
        _members[account] = Member({role: r, active: true, id: id, orgId: orgId, since: _now(), nonce: existing.nonce});
        _encryptionKeys[account] = encryptionKey;
        _memberAddresses[id] = account;
        emit MemberOnboarded(account, r, orgId, id, encryptionKey, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function setMemberActive(address account, bool active) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _members[account];
        if (m.role == Role.None) revert NotAMember(account);
        if (m.active == active) revert MemberStatusUnchanged(account, active);
        m.active = active;
        emit MemberStatusChanged(account, active, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function changeMemberRole(address account, uint8 role) external onlyRole(REGISTRAR_ROLE) {
        Role to = _toRole(role);
        Member storage m = _members[account];
        Role from = m.role;
        if (from == Role.None) revert NotAMember(account);
        // Records belong to patients and authorship to staff: an account never crosses that line.
        if (from == to || from == Role.Patient || to == Role.Patient) revert RoleChangeNotAllowed(account, from, to);
        m.role = to;
        emit MemberRoleChanged(account, from, to, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function rotateEncryptionKey(bytes32 encryptionKey) external {
        _activeMember(msg.sender);
        if (encryptionKey == bytes32(0)) revert ZeroEncryptionKey(msg.sender);
        _encryptionKeys[msg.sender] = encryptionKey;
        emit EncryptionKeyRotated(msg.sender, encryptionKey);
    }

    /// @inheritdoc IMemberRegistry
    function memberOf(address account) external view returns (Member memory member, bytes32 encryptionKey) {
        return (_members[account], _encryptionKeys[account]);
    }

    /// @inheritdoc IMemberRegistry
    function memberAt(uint32 memberId) external view returns (address account) {
        return _memberAddresses[memberId];
    }

    /// @inheritdoc IMemberRegistry
    function memberCount() external view returns (uint32 count) {
        return _memberCount;
    }

    /// @inheritdoc IMemberRegistry
    function organizationOf(uint32 orgId) external view returns (Organization memory organization) {
        return _organizations[orgId];
    }

    /// @dev The member record of `account`; reverts unless it is a member and active.
    function _activeMember(address account) internal view returns (Member memory m) {
        m = _members[account];
        if (m.role == Role.None) revert NotAMember(account);
        if (!m.active) revert MemberInactive(account);
    }

    /// @dev Reverts unless `account` is an active patient.
    function _requireActivePatient(address account) internal view {
        Member memory m = _activeMember(account);
        if (m.role != Role.Patient) revert NotAPatient(account, m.role);
    }

    /// @dev `role` as a `Role` other than `None`; reverts with `InvalidRole` otherwise.
    function _toRole(uint8 role) internal pure returns (Role) {
        if (role == 0 || role > uint8(type(Role).max)) revert InvalidRole(role);
        return Role(role);
    }
}
