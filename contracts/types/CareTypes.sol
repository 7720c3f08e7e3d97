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

/// @notice Lifecycle of an anchored record version (FHIR `DocumentReference.status`). `Erased`: its content was
/// crypto-shredded (every copy of its data key and envelope destroyed off chain); the anchor stays, nothing opens it.
enum RecordStatus {
    None,
    Current,
    Superseded,
    EnteredInError,
    Erased
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
    BreakGlassReviewed,
    RecordErased
}

/// @notice A member of the network. Fits one storage slot (15 bytes).
/// @param role the member's role
/// @param active false once a registrar deactivates the member; every check reads it
/// @param id a sequential member number (1-based), used to pack authorship into record slots
/// @param orgId the organisation the member belongs to (0 for patients without one)
/// @param since when the member's current standing began: onboarding, the last role change or the last
/// reactivation. Consent given to the account before this time is inert (see `IAccessRules`), and break-glass
/// opens only `breakGlassWarmup` seconds after it (see `ICareGovernance.limits`).
struct Member {
    Role role;
    bool active;
    uint32 id;
    uint32 orgId;
    uint40 since;
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
/// @param erase categories the role may erase (crypto-shred) on top of the write rule; the only field a patient's
/// policy uses. Categories whose retention rules forbid erasure stay out of it.
struct RolePolicy {
    uint16 read;
    uint16 write;
    uint16 emergencyRead;
    uint16 erase;
}

/// @notice A patient's consent to one grantee. One slot; `expiresAt == 0` means no grant.
/// @param categories category bitmask
/// @param purposes purpose-of-use bitmask
/// @param expiresAt end of the grant (exclusive); 0 when none was given or it was revoked
/// @param grantedAt when the grant was given; it is live for the grantee only if given no earlier than the grantee's
/// `Member.since`
/// @param epoch how many direct changes (by the patient or a delegate, not relayed) and revocations the grant has
/// seen; a signed consent names the epoch it was signed against and is refused once the epoch moved on, so a
/// direct revoke or grant beats every older signature for this grantee
struct Grant {
    uint16 categories;
    uint8 purposes;
    uint40 expiresAt;
    uint40 grantedAt;
    uint32 epoch;
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
/// @param incidentId the latest incident declared in the window
/// @param expiresAt end of the window (exclusive)
/// @param startedAt when the first incident of this continuous window was declared: a later declaration while
/// the window is open never takes `expiresAt` past `startedAt` + the cap
struct BreakGlassWindow {
    uint64 incidentId;
    uint40 expiresAt;
    uint40 startedAt;
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

/// @notice Governance-set bounds on consent and break-glass (see `ICareGovernance.setLimits`).
/// @param maxSignatureLifetime the furthest a signed consent's deadline may lie after the block it is relayed in
/// @param maxConsentDuration the furthest a grant's expiry may lie after the block it is given or extended in
/// @param breakGlassWarmup seconds after `Member.since` before the member may break the glass
struct Limits {
    uint32 maxSignatureLifetime;
    uint32 maxConsentDuration;
    uint32 breakGlassWarmup;
}
