// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice What a member is. One account holds exactly one role.
/// @dev Passed across the ABI as `uint8` and range-checked so bad input gets a custom error, not a panic.
enum Role {
    None,
    Patient,
    Doctor,
    Nurse,
    BillingClerk,
    Auditor,
    EmergencyResponder
}

/// @notice Lifecycle of an anchored record version (FHIR `DocumentReference.status`).
enum RecordStatus {
    None,
    Current,
    Superseded,
    EnteredInError
}

/// @notice Why an access check succeeded.
enum AccessPath {
    None,
    Patient,
    Consent,
    BreakGlass
}

/// @notice An auditor's verdict on a break-glass incident.
enum ReviewVerdict {
    Pending,
    Justified,
    Unjustified
}

/// @notice The kinds of entries folded into the audit trail.
enum AuditAction {
    RecordOpened,
    BreakGlassDeclared,
    BreakGlassReviewed
}

/// @notice A member of the network. Fits one storage slot (23 bytes).
/// @param role the member's role
/// @param active false once a registrar deactivates the member; every check reads it
/// @param id a sequential member number (1-based), used to pack authorship into record slots
/// @param orgId the organisation the member belongs to (0 for patients without one)
/// @param since when the member was onboarded
/// @param nonce the account's EIP-712 consent nonce (see `ISignedConsent`), kept in this slot so that a signed
/// consent reads and bumps it with the same storage access that checks the patient is active
struct Member {
    Role role;
    bool active;
    uint32 id;
    uint32 orgId;
    uint40 since;
    uint64 nonce;
}

/// @notice A registered organisation (hospital, clinic, lab, payer). One slot.
struct Organization {
    bool registered;
    bool active;
    uint40 since;
}

/// @notice "Minimum necessary" policy of one role, as category bitmasks. One slot.
/// @param read categories the role may ever open under consent
/// @param write categories the role may anchor, amend or mark in error under consent
/// @param emergencyRead categories the role may open through a break-glass window
struct RolePolicy {
    uint16 read;
    uint16 write;
    uint16 emergencyRead;
}

/// @notice A patient's consent to one grantee. One slot; an all-zero value means no grant.
struct Grant {
    uint16 categories;
    uint8 purposes;
    uint40 expiresAt;
    uint40 grantedAt;
}

/// @notice One anchored record version, keyed by the hash of its encrypted envelope. One slot (31 bytes).
/// @param patient whose record it is
/// @param authorId member id of the author (see `Member.id`)
/// @param category category index (see `Categories`)
/// @param status lifecycle status
/// @param createdAt when it was anchored
struct Record {
    address patient;
    uint32 authorId;
    uint8 category;
    RecordStatus status;
    uint40 createdAt;
}

/// @notice A live or past break-glass window of one responder on one patient. One slot.
struct BreakGlassWindow {
    uint64 incidentId;
    uint40 expiresAt;
}

/// @notice A break-glass incident awaiting or holding an auditor's review. Two slots.
struct Incident {
    address patient;
    uint40 openedAt;
    uint40 expiresAt;
    ReviewVerdict verdict;
    address responder;
}

/// @notice A patient's delegation to a guardian or proxy. One slot.
/// @param scope categories the delegate may grant and revoke
/// @param expiresAt end of the delegation (exclusive)
/// @param removed true once the patient removed the delegate
struct Delegation {
    uint16 scope;
    uint40 expiresAt;
    bool removed;
}
