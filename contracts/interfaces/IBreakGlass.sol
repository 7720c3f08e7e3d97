// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {BreakGlassWindow, Incident, ReviewVerdict, Role} from "../types/CareTypes.sol";

/// @title IBreakGlass
/// @notice Emergency access without consent: a bounded window, a justification hash, flagged opens and an
/// auditor's review, all visible to the patient as events.
interface IBreakGlass {
    /// @notice `responder` opened a break-glass window on `patient` (audited).
    /// @param incidentId the incident number, for the review
    /// @param patient whose records
    /// @param responder who broke the glass
    /// @param justificationHash hash of the off-chain justification
    /// @param openedAt when the window opened
    /// @param expiresAt when it closes (exclusive)
    event BreakGlassDeclared(
        uint64 indexed incidentId,
        address indexed patient,
        address indexed responder,
        bytes32 justificationHash,
        uint40 openedAt,
        uint40 expiresAt
    );

    /// @notice `auditor` reviewed incident `incidentId` (audited).
    /// @param incidentId the incident
    /// @param patient whose records were opened
    /// @param auditor who reviewed it
    /// @param verdict justified or unjustified
    /// @param notesHash hash of the off-chain review notes
    /// @param reviewedAt when
    event BreakGlassReviewed(
        uint64 indexed incidentId,
        address indexed patient,
        address indexed auditor,
        ReviewVerdict verdict,
        bytes32 notesHash,
        uint40 reviewedAt
    );

    /// @notice The window of incident `incidentId` was closed early, because an auditor found it unjustified.
    /// @param incidentId the incident
    /// @param patient whose records
    /// @param responder whose window closed
    /// @param closedAt when
    event BreakGlassWindowClosed(
        uint64 indexed incidentId,
        address indexed patient,
        address indexed responder,
        uint40 closedAt
    );

    /// @notice Governance set the longest break-glass window.
    /// @param maxDuration seconds
    /// @param admin who set it
    event BreakGlassMaxDurationSet(uint32 maxDuration, address indexed admin);

    /// @notice The policy of `role` gives `account` no break-glass categories.
    error BreakGlassNotPermitted(address account, Role role);
    /// @notice `duration` is zero or longer than `maxDuration`.
    error InvalidBreakGlassDuration(uint32 duration, uint32 maxDuration);
    /// @notice `maxDuration` is zero or above the hard cap `cap`.
    error BreakGlassCapExceeded(uint32 maxDuration, uint32 cap);
    /// @notice A break-glass needs a non-zero justification hash.
    error ZeroJustification();
    /// @notice No incident has number `incidentId`.
    error IncidentNotFound(uint64 incidentId);
    /// @notice Incident `incidentId` already has verdict `verdict`.
    error IncidentAlreadyReviewed(uint64 incidentId, ReviewVerdict verdict);
    /// @notice `verdict` is not `Justified` (1) or `Unjustified` (2).
    error InvalidVerdict(uint8 verdict);
    /// @notice `auditor` opened incident `incidentId` and may not review it.
    error SelfReview(uint64 incidentId, address auditor);
    /// @notice Only an active auditor may review; `account` has role `role`.
    error NotAnAuditor(address account, Role role);
    /// @notice `account` may break the glass only from `readyAt`: `limits().breakGlassWarmup` after its current
    /// standing began (onboarding, a role change or a reactivation).
    error BreakGlassWarmupPending(address account, uint40 readyAt);

    /// @notice Open a break-glass window on `patient` for `duration` seconds. Caller: an active member (of an active
    /// organisation) whose role has break-glass categories (emergency responder, doctor by default), at least
    /// `limits().breakGlassWarmup` after its standing began, so that a registrar alone cannot mint emergency access.
    /// Allowed while paused. A declaration while the caller's window on `patient` is open continues that window:
    /// its end is cut to the window's first declaration plus `breakGlassMaxDuration()`. Reads through the window
    /// are for the emergency purpose only.
    /// @param patient an active patient
    /// @param justificationHash hash of the justification kept off chain
    /// @param duration seconds, 1 .. `breakGlassMaxDuration()`
    /// @return incidentId the incident number
    function breakGlass(
        address patient,
        bytes32 justificationHash,
        uint32 duration
    ) external returns (uint64 incidentId);

    /// @notice Record an auditor's verdict on an incident. Caller: an active auditor other than the responder.
    /// An `Unjustified` verdict on any incident of a window closes what is left of that window at once.
    /// @param incidentId the incident
    /// @param verdict `Justified` (1) or `Unjustified` (2)
    /// @param notesHash hash of the review notes kept off chain
    function reviewBreakGlass(uint64 incidentId, uint8 verdict, bytes32 notesHash) external;

    /// @notice Set the longest break-glass window, at most `MAX_BREAK_GLASS_DURATION`. Governance only.
    /// @param maxDuration seconds
    function setBreakGlassMaxDuration(uint32 maxDuration) external;

    /// @notice The longest break-glass window governance allows.
    /// @return maxDuration seconds
    function breakGlassMaxDuration() external view returns (uint32 maxDuration);

    /// @notice The latest window of `responder` on `patient` (live while `expiresAt` is in the future).
    /// @param patient the patient
    /// @param responder the responder
    /// @return window the latest window
    function breakGlassWindowOf(
        address patient,
        address responder
    ) external view returns (BreakGlassWindow memory window);

    /// @notice Incident `incidentId`.
    /// @param incidentId the incident
    /// @return incident the incident (`patient` zero if none)
    function incidentOf(uint64 incidentId) external view returns (Incident memory incident);

    /// @notice Number of incidents so far (the highest incident id).
    /// @return count incidents declared
    function incidentCount() external view returns (uint64 count);
}
