// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAuditedAccess} from "../interfaces/IAuditedAccess.sol";
import {AccessPath, AuditAction, Record} from "../types/CareTypes.sol";
import {RecordRegistry} from "./RecordRegistry.sol";

/// @title AuditedAccess
/// @notice `openRecord`: the access check, then an event folded into both audit heads.
abstract contract AuditedAccess is RecordRegistry, IAuditedAccess {
    /// @inheritdoc IAuditedAccess
    function openRecord(bytes32 recordId, uint8 purpose) external returns (AccessPath path) {
        _checkPurpose(purpose);
        Record memory r = _liveRecord(recordId);
        path = _authorizeRead(r.patient, msg.sender, r.category, purpose, _reverting());
        uint40 openedAt = _now();
        _appendAudit(
            r.patient,
            keccak256(abi.encode(AuditAction.RecordOpened, recordId, r.patient, msg.sender, purpose, path, openedAt))
        );
        emit RecordOpened(recordId, r.patient, msg.sender, purpose, path, openedAt);
    }

    /// @inheritdoc IAuditedAccess
    function canOpen(bytes32 recordId, address accessor, uint8 purpose) external view returns (AccessPath path) {
        _checkPurpose(purpose);
        Record memory r = _liveRecord(recordId);
        return _authorizeRead(r.patient, accessor, r.category, purpose, _lenient());
    }
}
