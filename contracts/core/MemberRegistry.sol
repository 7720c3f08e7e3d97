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
    function registerOrganization(uint32 orgId) external onlyRole(REGISTRAR_ROLE) whenNotPaused {
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
        // Suspending works during a pause (it cuts access off); reinstating waits for the pause to end.
        if (active) _requireNotPaused();
        org.active = active;
        emit OrganizationStatusChanged(orgId, active, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function onboardMember(
        address account,
        uint8 role,
        uint32 orgId,
        bytes32 encryptionKey
    ) external onlyRole(REGISTRAR_ROLE) whenNotPaused {
        if (account == address(0)) revert ZeroAddress();
        _requireNotSelf(account);
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
        _members[account] = Member({role: r, active: true, id: id, orgId: orgId, since: _now()});
        _encryptionKeys[account] = encryptionKey;
        _memberAddresses[id] = account;
        emit MemberOnboarded(account, r, orgId, id, encryptionKey, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function setMemberActive(address account, bool active) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _members[account];
        if (m.role == Role.None) revert NotAMember(account);
        _requireNotSelf(account);
        if (m.active == active) revert MemberStatusUnchanged(account, active);
        if (active) {
            // Deactivating works during a pause (it cuts a key off); reactivating waits for the pause to end, and
            // starts a new standing: consent given before it stays inert until the patient gives it again.
            _requireNotPaused();
            m.since = _now();
        }
        m.active = active;
        emit MemberStatusChanged(account, active, msg.sender);
    }

    /// @inheritdoc IMemberRegistry
    function changeMemberRole(address account, uint8 role) external onlyRole(REGISTRAR_ROLE) whenNotPaused {
        Role to = _toRole(role);
        Member storage m = _members[account];
        Role from = m.role;
        if (from == Role.None) revert NotAMember(account);
        _requireNotSelf(account);
        // Records belong to patients and authorship to staff: an account never crosses that line.
        if (from == to || from == Role.Patient || to == Role.Patient) revert RoleChangeNotAllowed(account, from, to);
        // Consent was given to the account in its old role: it stays inert in the new one (see `Member.since`).
        m.role = to;
        m.since = _now();
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

    /// @dev The member record of `account`; reverts unless it is an active member (of an active organisation,
    /// for staff).
    function _activeMember(address account) internal view returns (Member memory m) {
        m = _members[account];
        _isActive(m, account, _reverting());
    }

    /// @dev Whether `m` (the member record of `account`) may act now: a member, active, and, unless a patient, of
    /// an active organisation (one more storage read). Reverts with the reason instead of returning false when
    /// `strict`. Patients are never stopped by their organisation: their records and consent are their own.
    function _isActive(Member memory m, address account, bool strict) internal view returns (bool) {
        if (m.role == Role.None) {
            if (strict) revert NotAMember(account);
            return false;
        }
        if (!m.active) {
            if (strict) revert MemberInactive(account);
            return false;
        }
        if (m.role != Role.Patient && !_organizations[m.orgId].active) {
            if (strict) revert OrganizationInactive(m.orgId);
            return false;
        }
        return true;
    }

    /// @dev Reverts unless `account` is an active patient.
    function _requireActivePatient(address account) internal view {
        Member memory m = _activeMember(account);
        if (m.role != Role.Patient) revert NotAPatient(account, m.role);
    }

    /// @dev A registrar never acts on its own membership.
    function _requireNotSelf(address account) private view {
        if (account == msg.sender) revert RegistrarSelfService(account);
    }

    /// @dev `true`, as a value the optimizer cannot fold (a call always carries calldata). The access rules take
    /// `strict` as `_reverting()` or `_lenient()` rather than a literal, so the bytecode holds one copy of each
    /// rule instead of one per literal (the Yul function specializer), which saves about 1 KB of runtime code.
    function _reverting() internal pure returns (bool) {
        return msg.data.length != 0;
    }

    /// @dev `false`, likewise (see `_reverting`).
    function _lenient() internal pure returns (bool) {
        return msg.data.length == 0;
    }

    /// @dev `role` as a `Role` other than `None`; reverts with `InvalidRole` otherwise.
    function _toRole(uint8 role) internal pure returns (Role) {
        if (role == 0 || role > uint8(type(Role).max)) revert InvalidRole(role);
        return Role(role);
    }
}
