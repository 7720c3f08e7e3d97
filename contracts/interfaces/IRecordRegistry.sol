// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Record, RecordStatus, Role} from "../types/CareTypes.sol";

/// @title IRecordRegistry
/// @notice Append-only record anchors. A record version is identified by `keccak256(abi.encode(patient,
/// contentHash))`, where `contentHash` is the keccak256 of its encrypted envelope: the id belongs to the patient,
/// so anchoring another patient's envelope hash first (a squat) cannot block the real anchor. Amendments add
/// versions, nothing is deleted or overwritten. A patient never supersedes a record someone else authored (HIPAA
/// §164.526: the patient asks for an amendment or adds a statement of disagreement): `amendRecord` by the patient
/// on a clinician's version anchors the patient's own version, linked to the original (`previousVersionOf`,
/// `RecordAnchored.supersedes`), and the original stays current; the patient cannot mark it in error either.
/// (The SDK uses such a linked version to re-key or share a record for the patient.)
interface IRecordRegistry {
    /// @notice `author` anchored record version `recordId` of `patient`.
    /// @param recordId the version id, `keccak256(abi.encode(patient, contentHash))`
    /// @param patient whose record
    /// @param author who anchored it
    /// @param contentHash the keccak256 of the encrypted envelope (the blob store's key)
    /// @param category category index
    /// @param supersedes the version it amends (zero for a new record); for a patient's version of a record someone
    /// else authored, the original it is linked to, which stays current
    event RecordAnchored(
        bytes32 indexed recordId,
        address indexed patient,
        address indexed author,
        bytes32 contentHash,
        uint8 category,
        bytes32 supersedes
    );

    /// @notice `actor` marked record version `recordId` as entered in error.
    /// @param recordId the record version
    /// @param patient whose record
    /// @param actor who marked it
    event RecordEnteredInError(bytes32 indexed recordId, address indexed patient, address indexed actor);

    /// @notice `erasedBy` erased record version `recordId` of `patient` at `erasedAt` (audited): every copy of its
    /// data key and envelope was destroyed off chain; the anchor stays.
    /// @param recordId the record version
    /// @param patient whose record
    /// @param erasedBy who erased it
    /// @param erasedAt when
    event RecordErased(bytes32 indexed recordId, address indexed patient, address indexed erasedBy, uint40 erasedAt);

    /// @notice Record version `recordId` was erased: there is nothing left to open or change.
    error RecordIsErased(bytes32 recordId);
    /// @notice The role policy of `role` (`RolePolicy.erase`) does not let `actor` erase `category`: retention
    /// rules keep it.
    error ErasureNotPermitted(address actor, Role role, uint8 category);
    /// @notice A content hash of zero was given.
    error ZeroContentHash();
    /// @notice Record version `recordId` is anchored already (every version of a patient has its own envelope).
    error RecordAlreadyAnchored(bytes32 recordId);
    /// @notice A patient may not mark in error version `recordId`, authored by member `authorId`
    /// (`memberAt(authorId)`): they anchor their own linked version instead.
    error PatientCannotChangeAuthoredRecord(bytes32 recordId, uint32 authorId);
    /// @notice No record version `recordId` exists.
    error RecordNotFound(bytes32 recordId);
    /// @notice Record version `recordId` has status `status`, but this needs a current version.
    error RecordNotCurrent(bytes32 recordId, RecordStatus status);

    /// @notice Anchor a new record of `patient`. Caller: the patient, or an active staff member whose role may
    /// write `category` and who holds the patient's live consent for it.
    /// @param patient whose record
    /// @param category category index
    /// @param contentHash keccak256 of the encrypted envelope
    /// @return recordId the new version's id, `keccak256(abi.encode(patient, contentHash))`
    function anchorRecord(address patient, uint8 category, bytes32 contentHash) external returns (bytes32 recordId);

    /// @notice Anchor `newContentHash` as a version that supersedes current version `recordId`.
    /// Same caller rule as `anchorRecord`, on the record's patient and category. The patient's amendment of a
    /// version someone else authored does not supersede it: the original stays current, the patient's version is
    /// linked to it.
    /// @param recordId the current version
    /// @param newContentHash keccak256 of the amended encrypted envelope
    /// @return newId the new version's id, `keccak256(abi.encode(patient, newContentHash))`
    function amendRecord(bytes32 recordId, bytes32 newContentHash) external returns (bytes32 newId);

    /// @notice Flag current version `recordId` as entered in error (it stays readable for audit).
    /// Same caller rule as `anchorRecord`; a patient only on a version they authored.
    /// @param recordId the version
    function markEnteredInError(bytes32 recordId) external;

    /// @notice Record that version `recordId` was erased (crypto-shredded): its status becomes `Erased` for good,
    /// `RecordErased` is emitted and folded into the audit heads, and every later open, amendment or erasure is
    /// refused. Call it after destroying every copy of the data key and the envelope off chain, so that a
    /// readable copy never outlives the record. Caller: as `anchorRecord` (the active patient, or active staff
    /// whose role may write the category under live consent), whose role policy also lets it erase the category
    /// (`RolePolicy.erase`; `ErasureNotPermitted` otherwise). Any status but `None` and `Erased`. Not while paused.
    /// A blob gateway may delete envelope `contentHash` of `patient` once
    /// `recordOf(keccak256(abi.encode(patient, contentHash))).status` is `Erased`.
    /// @param recordId the record version
    function eraseRecord(bytes32 recordId) external;

    /// @notice Record version `recordId` and its author's address.
    /// @param recordId the version
    /// @return record the stored record (`patient` zero if none)
    /// @return author the author's address
    function recordOf(bytes32 recordId) external view returns (Record memory record, address author);

    /// @notice The version that `recordId` supersedes (zero for an original).
    /// @param recordId the version
    /// @return previous the previous version
    function previousVersionOf(bytes32 recordId) external view returns (bytes32 previous);
}
