// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessPath} from "../types/CareTypes.sol";

/// @title IAuditedAccess
/// @notice Opening a record is a transaction: checked, then emitted and folded into the audit trail.
interface IAuditedAccess {
    /// @notice `accessor` opened record version `recordId` of `patient` (audited).
    /// @param recordId the record version
    /// @param patient whose record
    /// @param accessor who opened it
    /// @param purpose purpose-of-use index
    /// @param path why it was allowed (`BreakGlass` flags an emergency open)
    /// @param openedAt when
    event RecordOpened(
        bytes32 indexed recordId,
        address indexed patient,
        address indexed accessor,
        uint8 purpose,
        AccessPath path,
        uint40 openedAt
    );

    /// @notice Open record version `recordId` for `purpose`: checks active member ∩ role policy ∩ live consent,
    /// or an open break-glass window, then emits `RecordOpened` and folds it into the audit heads.
    /// Reverts with the precise reason otherwise (`RecordIsErased` once the record was erased). Available while
    /// paused: care must not stop.
    /// @param recordId the record version
    /// @param purpose purpose-of-use index
    /// @return path why it was allowed
    function openRecord(bytes32 recordId, uint8 purpose) external returns (AccessPath path);

    /// @notice What `openRecord(recordId, purpose)` from `accessor` would do now, without auditing it: the path, or
    /// `None` where the access check would refuse. Bad input reverts as in `openRecord` (`RecordNotFound`,
    /// `RecordIsErased`, `InvalidPurpose`). For user interfaces only: release keys on the audited transaction, not on this.
    /// @param recordId the record version
    /// @param accessor who would open it
    /// @param purpose purpose-of-use index
    /// @return path the path it would take, `None` if the access check would refuse
    function canOpen(bytes32 recordId, address accessor, uint8 purpose) external view returns (AccessPath path);
}
