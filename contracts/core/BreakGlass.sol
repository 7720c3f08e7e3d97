// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IBreakGlass} from "../interfaces/IBreakGlass.sol";
import {AuditAction, BreakGlassWindow, Incident, Member, ReviewVerdict, Role} from "../types/CareTypes.sol";
import {AuditTrail} from "./AuditTrail.sol";

/// @title BreakGlass
/// @notice Emergency windows without consent, each an audited incident an auditor must review.
abstract contract BreakGlass is AuditTrail, IBreakGlass {
    /// @notice Hard cap on any break-glass window, whatever governance sets.
    uint32 public constant MAX_BREAK_GLASS_DURATION = 24 hours;

    // Packed in one slot.
    uint32 internal _breakGlassMaxDuration;
    uint64 internal _incidentCount;

    mapping(address patient => mapping(address responder => BreakGlassWindow)) internal _windows;
    mapping(uint64 incidentId => Incident) internal _incidents;

    /// @param maxDuration the initial longest window, in seconds (1 .. `MAX_BREAK_GLASS_DURATION`)
    constructor(uint32 maxDuration) {
        _setBreakGlassMaxDuration(maxDuration);
    }

    /// @inheritdoc IBreakGlass
    // solhint-disable-next-line function-max-lines
    function breakGlass(
        address patient,
        bytes32 justificationHash,
        uint32 duration
    ) external returns (uint64 incidentId) {
        Member memory m = _activeMember(msg.sender);
        if (_policies[m.role].emergencyRead == 0) revert BreakGlassNotPermitted(msg.sender, m.role);
        uint40 openedAt = _now();
        uint40 readyAt;
        uint40 expiresAt;
        uint40 cap;
        BreakGlassWindow storage w = _windows[patient][msg.sender];
        uint40 startedAt = w.expiresAt > openedAt ? w.startedAt : openedAt;
        unchecked {
            // uint40 seconds last until year 36812; the addends are at most 7 days and 24 hours.
            readyAt = m.since + _breakGlassWarmup;
            expiresAt = openedAt + duration;
            cap = startedAt + _breakGlassMaxDuration;
        }
        if (openedAt < readyAt) revert BreakGlassWarmupPending(msg.sender, readyAt);
        _requireActivePatient(patient);
        if (justificationHash == bytes32(0)) revert ZeroJustification();
        uint32 maxDuration = _breakGlassMaxDuration;
        if (duration == 0 || duration > maxDuration) revert InvalidBreakGlassDuration(duration, maxDuration);

        // A declaration while the window is open continues it: the cap counts from the window's first declaration.
        if (expiresAt > cap) expiresAt = cap;
        if (expiresAt <= openedAt) revert InvalidBreakGlassDuration(duration, maxDuration);
        incidentId = ++_incidentCount;
        _windows[patient][msg.sender] = BreakGlassWindow({
            incidentId: incidentId,
            expiresAt: expiresAt,
            startedAt: startedAt
        });
        _incidents[incidentId] = Incident({
            patient: patient,
            openedAt: openedAt,
            expiresAt: expiresAt,
            verdict: ReviewVerdict.Pending,
            responder: msg.sender
        });
        _appendAudit(
            patient,
            keccak256(
                abi.encode(
                    AuditAction.BreakGlassDeclared,
                    incidentId,
                    patient,
                    msg.sender,
                    justificationHash,
                    openedAt,
                    expiresAt
                )
            )
        );
        emit BreakGlassDeclared(incidentId, patient, msg.sender, justificationHash, openedAt, expiresAt);
    }

    /// @inheritdoc IBreakGlass
    function reviewBreakGlass(uint64 incidentId, uint8 verdict, bytes32 notesHash) external {
        Member memory m = _activeMember(msg.sender);
        if (m.role != Role.Auditor) revert NotAnAuditor(msg.sender, m.role);
        if (verdict != uint8(ReviewVerdict.Justified) && verdict != uint8(ReviewVerdict.Unjustified)) {
            revert InvalidVerdict(verdict);
        }
        Incident storage incident = _incidents[incidentId];
        address patient = incident.patient;
        if (patient == address(0)) revert IncidentNotFound(incidentId);
        if (incident.verdict != ReviewVerdict.Pending) revert IncidentAlreadyReviewed(incidentId, incident.verdict);
        address responder = incident.responder;
        if (responder == msg.sender) revert SelfReview(incidentId, msg.sender);

        ReviewVerdict v = ReviewVerdict(verdict);
        uint40 reviewedAt = _now();
        incident.verdict = v;
        if (v == ReviewVerdict.Unjustified) {
            // An unjustified break-glass closes what is left of its window at once, whichever of the window's
            // incidents was ruled on.
            BreakGlassWindow storage w = _windows[patient][responder];
            if (incident.openedAt >= w.startedAt && w.expiresAt > reviewedAt) {
                w.expiresAt = reviewedAt;
                emit BreakGlassWindowClosed(incidentId, patient, responder, reviewedAt);
            }
        }
        _appendAudit(
            patient,
            keccak256(
                abi.encode(AuditAction.BreakGlassReviewed, incidentId, patient, msg.sender, v, notesHash, reviewedAt)
            )
        );
        emit BreakGlassReviewed(incidentId, patient, msg.sender, v, notesHash, reviewedAt);
    }

    /// @inheritdoc IBreakGlass
    function setBreakGlassMaxDuration(uint32 maxDuration) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setBreakGlassMaxDuration(maxDuration);
    }

    /// @inheritdoc IBreakGlass
    function breakGlassMaxDuration() external view returns (uint32 maxDuration) {
        return _breakGlassMaxDuration;
    }

    /// @inheritdoc IBreakGlass
    function breakGlassWindowOf(
        address patient,
        address responder
    ) external view returns (BreakGlassWindow memory window) {
        return _windows[patient][responder];
    }

    /// @inheritdoc IBreakGlass
    function incidentOf(uint64 incidentId) external view returns (Incident memory incident) {
        return _incidents[incidentId];
    }

    /// @inheritdoc IBreakGlass
    function incidentCount() external view returns (uint64 count) {
        return _incidentCount;
    }

    function _setBreakGlassMaxDuration(uint32 maxDuration) private {
        if (maxDuration == 0 || maxDuration > MAX_BREAK_GLASS_DURATION) {
            revert BreakGlassCapExceeded(maxDuration, MAX_BREAK_GLASS_DURATION);
        }
        _breakGlassMaxDuration = maxDuration;
        emit BreakGlassMaxDurationSet(maxDuration, msg.sender);
    }
}
