// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Member, Organization, Role} from "../types/CareTypes.sol";

/// @title IMemberRegistry
/// @notice Organisations, staff and patients, each with a role, an active flag and an X25519 public key.
interface IMemberRegistry {
    /// @notice A registrar registered organisation `orgId` (active from now on).
    /// @param orgId the organisation id chosen by the consortium
    /// @param registrar who registered it
    event OrganizationRegistered(uint32 indexed orgId, address indexed registrar);

    /// @notice A registrar activated or suspended organisation `orgId`.
    /// @param orgId the organisation
    /// @param active the new status
    /// @param registrar who changed it
    event OrganizationStatusChanged(uint32 indexed orgId, bool active, address indexed registrar);

    /// @notice A registrar onboarded `account`.
    /// @param account the member's address
    /// @param role the member's role
    /// @param orgId the member's organisation (0 for a patient without one)
    /// @param memberId the sequential member id assigned
    /// @param encryptionKey the member's X25519 public key for key wrapping
    /// @param registrar who onboarded the member
    event MemberOnboarded(
        address indexed account,
        Role indexed role,
        uint32 indexed orgId,
        uint32 memberId,
        bytes32 encryptionKey,
        address registrar
    );

    /// @notice A registrar activated or deactivated `account`; takes effect in every check at once.
    /// @param account the member
    /// @param active the new status
    /// @param registrar who changed it
    event MemberStatusChanged(address indexed account, bool active, address indexed registrar);

    /// @notice A registrar moved staff member `account` to another staff role.
    /// @param account the member
    /// @param previousRole the role before
    /// @param newRole the role now
    /// @param registrar who changed it
    event MemberRoleChanged(address indexed account, Role previousRole, Role newRole, address indexed registrar);

    /// @notice `account` published a new X25519 public key.
    /// @param account the member
    /// @param encryptionKey the new key
    event EncryptionKeyRotated(address indexed account, bytes32 encryptionKey);

    /// @notice The zero address was given where an account is required.
    error ZeroAddress();
    /// @notice `role` is not a role this function accepts.
    error InvalidRole(uint8 role);
    /// @notice Organisation id 0 is reserved for "no organisation".
    error InvalidOrganizationId(uint32 orgId);
    /// @notice Organisation `orgId` exists already.
    error OrganizationAlreadyRegistered(uint32 orgId);
    /// @notice Organisation `orgId` was never registered.
    error OrganizationNotRegistered(uint32 orgId);
    /// @notice Organisation `orgId` is suspended and takes no new staff.
    error OrganizationInactive(uint32 orgId);
    /// @notice Organisation `orgId` already has status `active`.
    error OrganizationStatusUnchanged(uint32 orgId, bool active);
    /// @notice `account` is a member already.
    error MemberAlreadyRegistered(address account);
    /// @notice `account` is not a member.
    error NotAMember(address account);
    /// @notice `account` is a member but deactivated.
    error MemberInactive(address account);
    /// @notice `account` already has status `active`.
    error MemberStatusUnchanged(address account, bool active);
    /// @notice `account` cannot move from role `from` to role `to` (patients stay patients, staff stay staff).
    error RoleChangeNotAllowed(address account, Role from, Role to);
    /// @notice An X25519 public key of zero was given for `account`.
    error ZeroEncryptionKey(address account);
    /// @notice A registrar tried to onboard, activate, deactivate or change the role of its own account `account`.
    error RegistrarSelfService(address account);
    /// @notice `account` has role `role`, but only an active patient may do this.
    error NotAPatient(address account, Role role);

    /// @notice Register organisation `orgId` (active). Registrar only; not while paused.
    /// @param orgId a non-zero id chosen by the consortium
    function registerOrganization(uint32 orgId) external;

    /// @notice Activate or suspend organisation `orgId`. Registrar only. A suspended organisation takes no new staff,
    /// and its staff are refused everywhere a deactivated member is, at once (one more storage read per check).
    /// Suspending works while paused; reinstating does not.
    /// @param orgId the organisation
    /// @param active the new status
    function setOrganizationActive(uint32 orgId, bool active) external;

    /// @notice Onboard `account` with `role`. Registrar only, never its own account; not while paused.
    /// @param account the member's address
    /// @param role a `Role` other than `None`
    /// @param orgId an active organisation (staff), or 0 / a registered organisation (patients)
    /// @param encryptionKey the member's X25519 public key, non-zero
    function onboardMember(address account, uint8 role, uint32 orgId, bytes32 encryptionKey) external;

    /// @notice Activate or deactivate `account`; takes effect in every check at once. Registrar only, never its own
    /// account. Deactivating works while paused; reactivating does not, and starts a new `Member.since`: consent
    /// the account received before is inert until the patient gives it again, and break-glass waits the warm-up.
    /// @param account the member
    /// @param active the new status
    function setMemberActive(address account, bool active) external;

    /// @notice Move staff member `account` to another staff role. Registrar only, never its own account; not while
    /// paused. Starts a new `Member.since`: consent given to the account in its old role stays inert.
    /// @param account the member
    /// @param role the new staff role
    function changeMemberRole(address account, uint8 role) external;

    /// @notice Publish a new X25519 public key for the calling (active) member.
    /// @param encryptionKey the new key, non-zero
    function rotateEncryptionKey(bytes32 encryptionKey) external;

    /// @notice The member record and public key of `account` (role `None` if not a member).
    /// @param account the address to look up
    /// @return member the member record
    /// @return encryptionKey the member's X25519 public key
    function memberOf(address account) external view returns (Member memory member, bytes32 encryptionKey);

    /// @notice The address of member number `memberId` (zero if none).
    /// @param memberId a member id
    /// @return account the member's address
    function memberAt(uint32 memberId) external view returns (address account);

    /// @notice Number of members ever onboarded.
    /// @return count the highest member id
    function memberCount() external view returns (uint32 count);

    /// @notice Organisation `orgId`.
    /// @param orgId the organisation id
    /// @return organization its record (`registered` false if unknown)
    function organizationOf(uint32 orgId) external view returns (Organization memory organization);
}
