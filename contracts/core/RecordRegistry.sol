// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Record, RecordStatus} from "../types/CareTypes.sol";
import {AccessRules} from "./AccessRules.sol";

/// @title RecordRegistry
/// @notice Append-only anchors of encrypted record envelopes. One slot per version (author packed as member id).
abstract contract RecordRegistry is AccessRules, IRecordRegistry {
    mapping(bytes32 recordId => Record) internal _records;
    mapping(bytes32 recordId => bytes32 previous) internal _previousVersions;

    /// @inheritdoc IRecordRegistry
    function anchorRecord(address patient, uint8 category, bytes32 contentHash) external whenNotPaused {
        if (patient == address(0)) revert ZeroAddress();
        _checkCategory(category);
        _requireNew(contentHash);
        uint32 authorId = _authorizeWrite(patient, msg.sender, category, true);
        _records[contentHash] = Record({
            patient: patient,
            authorId: authorId,
            category: category,
            status: RecordStatus.Current,
            createdAt: _now()
        });
        emit RecordAnchored(contentHash, patient, msg.sender, category, bytes32(0));
    }

    /// @inheritdoc IRecordRegistry
    function amendRecord(bytes32 recordId, bytes32 newContentHash) external whenNotPaused {
        Record storage old = _currentRecord(recordId);
        _requireNew(newContentHash);
        address patient = old.patient;
        uint8 category = old.category;
        uint32 authorId = _authorizeWrite(patient, msg.sender, category, true);
        old.status = RecordStatus.Superseded;
        _records[newContentHash] = Record({
            patient: patient,
            authorId: authorId,
            category: category,
            status: RecordStatus.Current,
            createdAt: _now()
        });
        _previousVersions[newContentHash] = recordId;
        emit RecordAnchored(newContentHash, patient, msg.sender, category, recordId);
    }

    /// @inheritdoc IRecordRegistry
    function markEnteredInError(bytes32 recordId) external whenNotPaused {
        Record storage r = _currentRecord(recordId);
        address patient = r.patient;
        _authorizeWrite(patient, msg.sender, r.category, true);
        r.status = RecordStatus.EnteredInError;
        emit RecordEnteredInError(recordId, patient, msg.sender);
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

    function _requireNew(bytes32 contentHash) private view {
        if (contentHash == bytes32(0)) revert ZeroContentHash();
        if (_records[contentHash].status != RecordStatus.None) revert RecordAlreadyAnchored(contentHash);
    }

    function _currentRecord(bytes32 recordId) private view returns (Record storage r) {
        r = _records[recordId];
        RecordStatus status = r.status;
        if (status == RecordStatus.None) revert RecordNotFound(recordId);
        if (status != RecordStatus.Current) revert RecordNotCurrent(recordId, status);
    }
}
