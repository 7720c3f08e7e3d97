// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Record} from "../types/CareTypes.sol";
import {RecordStatus} from "../types/CareTypes.sol";

/// @title IRecordRegistry
/// @notice Append-only record anchors. A record version is identified by the hash of its encrypted envelope;
/// amendments add versions, nothing is deleted or overwritten.
interface IRecordRegistry {
    /// @notice `author` anchored record version `recordId` of `patient`.
    /// @param recordId the content hash of the encrypted envelope
    /// @param patient whose record
    /// @param author who anchored it
    /// @param category category index
    /// @param supersedes the version it amends (zero for a new record)
    event RecordAnchored(
        bytes32 indexed recordId,
        address indexed patient,
        address indexed author,
        uint8 category,
        bytes32 supersedes
    );

    /// @notice `actor` marked record version `recordId` as entered in error.
    /// @param recordId the record version
    /// @param patient whose record
    /// @param actor who marked it
    event RecordEnteredInError(bytes32 indexed recordId, address indexed patient, address indexed actor);

    /// @notice A content hash of zero was given.
    error ZeroContentHash();
    /// @notice `contentHash` is anchored already (every version has its own envelope).
    error RecordAlreadyAnchored(bytes32 contentHash);
    /// @notice No record version `recordId` exists.
    error RecordNotFound(bytes32 recordId);
    /// @notice Record version `recordId` has status `status`, but this needs a current version.
    error RecordNotCurrent(bytes32 recordId, RecordStatus status);

    /// @notice Anchor a new record of `patient`. Caller: the patient, or an active staff member whose role may
    /// write `category` and who holds the patient's live consent for it.
    /// @param patient whose record
    /// @param category category index
    /// @param contentHash hash of the encrypted envelope; becomes the record id
    function anchorRecord(address patient, uint8 category, bytes32 contentHash) external;

    /// @notice Anchor `newContentHash` as a version that supersedes current version `recordId`.
    /// Same caller rule as `anchorRecord`, on the record's patient and category.
    /// @param recordId the current version
    /// @param newContentHash hash of the amended encrypted envelope; becomes the new version's id
    function amendRecord(bytes32 recordId, bytes32 newContentHash) external;

    /// @notice Flag current version `recordId` as entered in error (it stays readable for audit).
    /// Same caller rule as `anchorRecord`.
    /// @param recordId the version
    function markEnteredInError(bytes32 recordId) external;

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
