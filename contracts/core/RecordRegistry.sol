// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Categories} from "../types/Categories.sol";
import {AuditAction, Record, RecordStatus, Role} from "../types/CareTypes.sol";
import {AccessRules} from "./AccessRules.sol";

/// @title RecordRegistry
/// @notice Append-only anchors of encrypted record envelopes. One slot per version (author packed as member id).
/// @dev A version's id is `keccak256(abi.encode(patient, contentHash))` (`Hashes.efficientKeccak256`): the id is the
/// patient's, so no one can anchor another patient's envelope first and block it.
abstract contract RecordRegistry is AccessRules, IRecordRegistry {
    mapping(bytes32 recordId => Record) internal _records;
    mapping(bytes32 recordId => bytes32 previous) internal _previousVersions;

    /// @inheritdoc IRecordRegistry
    function anchorRecord(
        address patient,
        uint8 category,
        bytes32 contentHash
    ) external whenNotPaused returns (bytes32 recordId) {
        if (patient == address(0)) revert ZeroAddress();
        _checkCategory(category);
        recordId = _requireNew(patient, contentHash);
        uint32 authorId = _authorizeWrite(patient, msg.sender, category, _reverting());
        _records[recordId] = Record({
            patient: patient,
            authorId: authorId,
            category: category,
            status: RecordStatus.Current,
            createdAt: _now()
        });
        emit RecordAnchored(recordId, patient, msg.sender, contentHash, category, bytes32(0));
    }

    /// @inheritdoc IRecordRegistry
    function amendRecord(bytes32 recordId, bytes32 newContentHash) external whenNotPaused returns (bytes32 newId) {
        Record storage old = _currentRecord(recordId);
        address patient = old.patient;
        uint8 category = old.category;
        newId = _requireNew(patient, newContentHash);
        uint32 authorId = _authorizeWrite(patient, msg.sender, category, _reverting());
        // A patient's version of a record someone else authored is the patient's own record, linked to the
        // original, which stays current: a patient never supersedes a clinician's record.
        if (msg.sender != patient || old.authorId == authorId) old.status = RecordStatus.Superseded;
        _records[newId] = Record({
            patient: patient,
            authorId: authorId,
            category: category,
            status: RecordStatus.Current,
            createdAt: _now()
        });
        _previousVersions[newId] = recordId;
        emit RecordAnchored(newId, patient, msg.sender, newContentHash, category, recordId);
    }

    /// @inheritdoc IRecordRegistry
    function markEnteredInError(bytes32 recordId) external whenNotPaused {
        Record storage r = _currentRecord(recordId);
        address patient = r.patient;
        uint32 authorId = _authorizeWrite(patient, msg.sender, r.category, _reverting());
        uint32 originalAuthor = r.authorId;
        // A patient marks in error only what they authored.
        if (msg.sender == patient && originalAuthor != authorId) {
            revert PatientCannotChangeAuthoredRecord(recordId, originalAuthor);
        }
        r.status = RecordStatus.EnteredInError;
        emit RecordEnteredInError(recordId, patient, msg.sender);
    }

    /// @inheritdoc IRecordRegistry
    function eraseRecord(bytes32 recordId) external whenNotPaused {
        Record storage r = _liveRecord(recordId);
        address patient = r.patient;
        uint8 category = r.category;
        _authorizeWrite(patient, msg.sender, category, _reverting());
        Role role = _members[msg.sender].role;
        if (_policies[role].erase & Categories.bit(category) == 0)
            revert ErasureNotPermitted(msg.sender, role, category);
        r.status = RecordStatus.Erased;
        uint40 erasedAt = _now();
        _appendAudit(patient, keccak256(abi.encode(AuditAction.RecordErased, recordId, patient, msg.sender, erasedAt)));
        emit RecordErased(recordId, patient, msg.sender, erasedAt);
    }

    /// @inheritdoc IRecordRegistry
    function recordOf(bytes32 recordId) external view returns (Record memory record, address author) {
        record = _records[recordId];
        author = _memberAddresses[record.authorId];
    }

    /// @inheritdoc IRecordRegistry
    function previousVersionOf(bytes32 recordId) external view returns (bytes32 previous) {
        return _previousVersions[recordId];
    }

    /// @dev The id of `patient`'s version with envelope hash `contentHash`; reverts if it exists already.
    function _requireNew(address patient, bytes32 contentHash) private view returns (bytes32 recordId) {
        if (contentHash == bytes32(0)) revert ZeroContentHash();
        recordId = Hashes.efficientKeccak256(bytes32(uint256(uint160(patient))), contentHash);
        if (_records[recordId].status != RecordStatus.None) revert RecordAlreadyAnchored(recordId);
    }

    /// @dev Record version `recordId`; reverts if it does not exist or was erased.
    function _liveRecord(bytes32 recordId) internal view returns (Record storage r) {
        r = _records[recordId];
        RecordStatus status = r.status;
        if (status == RecordStatus.None) revert RecordNotFound(recordId);
        if (status == RecordStatus.Erased) revert RecordIsErased(recordId);
    }

    function _currentRecord(bytes32 recordId) private view returns (Record storage r) {
        r = _records[recordId];
        RecordStatus status = r.status;
        if (status == RecordStatus.None) revert RecordNotFound(recordId);
        if (status != RecordStatus.Current) revert RecordNotCurrent(recordId, status);
    }
}
