// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessRules} from "../../../contracts/interfaces/IAccessRules.sol";
import {IMemberRegistry} from "../../../contracts/interfaces/IMemberRegistry.sol";
import {IRecordRegistry} from "../../../contracts/interfaces/IRecordRegistry.sol";
import {Cast} from "./Cast.sol";

/// @notice Reference model of who may read and write what, written from the README's access rules and the interface NatSpec
/// (not from the contract code): plain mappings, no packing, and every rule spelled out once.
/// Each mutator predicts whether the real call succeeds and, if so, applies it; the handler compares.
contract AccessModel {
    struct Account {
        bool member;
        bool active;
        uint8 role;
        uint40 since; // onboarding, the last role change or the last reactivation
    }

    struct Consent {
        uint16 categories;
        uint8 purposes;
        uint40 end; // exclusive; 0 = no consent stored
        uint40 grantedAt; // live for the grantee only if not before its `since`
    }

    struct Policy {
        uint16 read;
        uint16 write;
        uint16 emergency;
    }

    struct IncidentInfo {
        address patient;
        address responder;
        uint8 verdict; // 0 pending, 1 justified, 2 unjustified
        uint40 openedAt;
    }

    struct RecordInfo {
        bool exists;
        address patient;
        uint8 category;
    }

    mapping(address account => Account) public accounts;
    mapping(uint8 role => Policy) public policies;
    mapping(address patient => mapping(address grantee => Consent)) internal _consents;
    mapping(address patient => mapping(address responder => uint40 end)) public windowEnd;
    /// @notice When the first declaration of the current continuous window was made.
    mapping(address patient => mapping(address responder => uint40 start)) public windowStart;
    mapping(address patient => mapping(address responder => uint64 id)) public windowIncident;
    mapping(uint64 id => IncidentInfo) public incidents;
    uint64 public incidentCount;
    mapping(bytes32 id => RecordInfo) public records;
    bool public paused;
    /// @notice Whether the one organisation of the fixture's staff is active.
    bool public orgActive = true;
    uint32 public maxWindow = Cast.BREAK_GLASS_MAX;

    constructor() {
        accounts[Cast.PATIENT_1] = Account(true, true, Cast.PATIENT, Cast.ONBOARDED_AT);
        accounts[Cast.PATIENT_2] = Account(true, true, Cast.PATIENT, Cast.ONBOARDED_AT);
        for (uint8 role = Cast.DOCTOR_ROLE; role < Cast.ROLE_COUNT; ++role) {
            accounts[Cast.staffOf(role)] = Account(true, true, role, Cast.ONBOARDED_AT);
        }
        // Default "minimum necessary" policies, from the README's default role policy (bit i = category i).
        policies[Cast.DOCTOR_ROLE] = Policy(0x17F, 0x17F, 0x17F); // all clinical, no billing
        policies[Cast.NURSE_ROLE] = Policy(0x01E, 0x00C, 0); // allergies..labs / medications+vitals
        policies[Cast.CLERK_ROLE] = Policy(0x081, 0x080, 0); // demographics+billing / billing
        policies[Cast.AUDITOR_ROLE] = Policy(0, 0, 0);
        policies[Cast.RESPONDER_ROLE] = Policy(0, 0, 0x07F); // clinical minus mental health
        for (uint256 p = 0; p < 2; ++p) {
            for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) {
                records[Cast.recordId(Cast.patient(p), c)] = RecordInfo(true, Cast.patient(p), c);
            }
        }
    }

    // ---------------------------------------------------------------- queries

    function consentOf(address patient, address grantee) external view returns (Consent memory) {
        return _consents[patient][grantee];
    }

    /// @notice How `accessor` may read `patient`'s `category` for `purpose` at `time`, and if not, the error
    /// selector the interface documents for the first failed rule.
    function readDecision(
        uint40 time,
        address patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) public view returns (uint8 path, bytes4 reason) {
        Account memory a = accounts[accessor];
        // A patient reads their own records even when deactivated.
        if (a.member && a.role == Cast.PATIENT && accessor == patient) return (Cast.PATH_PATIENT, 0);
        bytes4 inactive = _inactiveReason(a);
        if (inactive != 0) return (Cast.PATH_NONE, inactive);

        Policy memory pol = policies[a.role];
        bool roleReads = _has(pol.read, category);
        bool roleEmergency = _has(pol.emergency, category);
        if (!roleReads && !roleEmergency) return (Cast.PATH_NONE, IAccessRules.CategoryNotAllowedForRole.selector);

        Consent memory c = _consents[patient][accessor];
        bool consentCovers =
            c.end > time && c.grantedAt >= a.since && _has(c.categories, category) && (c.purposes >> purpose) & 1 == 1;
        if (roleReads && consentCovers) return (Cast.PATH_CONSENT, 0);
        if (roleEmergency && windowEnd[patient][accessor] > time) {
            // Break-glass is for emergency treatment only.
            if (purpose != Cast.EMERGENCY) return (Cast.PATH_NONE, IAccessRules.BreakGlassPurposeNotEmergency.selector);
            return (Cast.PATH_BREAK_GLASS, 0);
        }
        if (!roleReads) return (Cast.PATH_NONE, IAccessRules.NoBreakGlassWindow.selector);
        if (c.end == 0) return (Cast.PATH_NONE, IAccessRules.ConsentMissing.selector);
        if (c.end <= time) return (Cast.PATH_NONE, IAccessRules.ConsentExpired.selector);
        if (c.grantedAt < a.since) return (Cast.PATH_NONE, IAccessRules.ConsentPredatesStanding.selector);
        if (!_has(c.categories, category)) return (Cast.PATH_NONE, IAccessRules.CategoryNotConsented.selector);
        return (Cast.PATH_NONE, IAccessRules.PurposeNotConsented.selector);
    }

    /// @notice `hasAccess`: a read without break-glass.
    function hasAccess(
        uint40 time,
        address patient,
        address accessor,
        uint8 category,
        uint8 purpose
    ) external view returns (bool) {
        (uint8 path, ) = readDecision(time, patient, accessor, category, purpose);
        return path == Cast.PATH_PATIENT || path == Cast.PATH_CONSENT;
    }

    /// @notice `openRecord(id, purpose)` by `accessor`: the path, or the error it reverts with.
    function openDecision(
        uint40 time,
        bytes32 id,
        address accessor,
        uint8 purpose
    ) external view returns (uint8 path, bytes4 reason) {
        if (purpose >= Cast.PURPOSE_COUNT) return (Cast.PATH_NONE, IAccessRules.InvalidPurpose.selector);
        RecordInfo memory r = records[id];
        if (!r.exists) return (Cast.PATH_NONE, IRecordRegistry.RecordNotFound.selector);
        return readDecision(time, r.patient, accessor, r.category, purpose);
    }

    /// @notice `canWrite`: false while paused (the write would revert), otherwise `mayWrite`.
    function canWrite(uint40 time, address patient, address writer, uint8 category) external view returns (bool) {
        return !paused && mayWrite(time, patient, writer, category);
    }

    /// @notice Whether `writer` may anchor `patient`'s `category`: the patient, or a member whose role writes
    /// the category and who holds a live consent covering it for treatment, payment or operations.
    function mayWrite(uint40 time, address patient, address writer, uint8 category) public view returns (bool) {
        Account memory a = accounts[writer];
        if (_inactiveReason(a) != 0) return false;
        if (a.role == Cast.PATIENT && writer == patient) return true;
        if (!_has(policies[a.role].write, category)) return false;
        Consent memory c = _consents[patient][writer];
        bool writePurpose = (c.purposes >> 0) & 1 == 1 || (c.purposes >> 1) & 1 == 1 || (c.purposes >> 2) & 1 == 1;
        return c.end > time && c.grantedAt >= a.since && _has(c.categories, category) && writePurpose;
    }

    // ---------------------------------------------------------------- predicted mutations

    function grant(
        uint40 time,
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 end
    ) external returns (bool ok) {
        ok =
            !paused &&
            _isActivePatient(patient) &&
            grantee != address(0) &&
            grantee != patient &&
            _validSets(categories, purposes) &&
            end > time &&
            end <= time + Cast.MAX_CONSENT_DURATION;
        if (ok) _consents[patient][grantee] = Consent(categories, purposes, end, time);
    }

    function narrow(
        uint40 time,
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes
    ) external returns (bool ok) {
        Consent storage c = _consents[patient][grantee];
        bool subset = categories | c.categories == c.categories && purposes | c.purposes == c.purposes;
        bool smaller = categories != c.categories || purposes != c.purposes;
        ok = _isActivePatient(patient) && c.end > time && _validSets(categories, purposes) && subset && smaller;
        if (ok) (c.categories, c.purposes) = (categories, purposes);
    }

    function extend(uint40 time, address patient, address grantee, uint40 end) external returns (bool ok) {
        Consent storage c = _consents[patient][grantee];
        ok =
            !paused &&
            _isActivePatient(patient) &&
            c.end > time &&
            end > c.end &&
            end <= time + Cast.MAX_CONSENT_DURATION;
        if (ok) c.end = end;
    }

    /// @dev Anyone can revoke a consent they gave, live or expired, active member or not.
    function revoke(address patient, address grantee) external returns (bool ok) {
        ok = _consents[patient][grantee].end != 0;
        if (ok) delete _consents[patient][grantee];
    }

    /// @dev Deactivating works while paused, reactivating does not and starts a new standing.
    function setActive(uint40 time, address account, bool active) external returns (bool ok) {
        ok = accounts[account].member && accounts[account].active != active && (!active || !paused);
        if (ok) accounts[account].active = active;
        if (ok && active) accounts[account].since = time;
    }

    /// @dev Suspending works while paused, reinstating does not.
    function setOrgActive(bool active) external returns (bool ok) {
        ok = orgActive != active && (!active || !paused);
        if (ok) orgActive = active;
    }

    function setPolicy(uint8 role, uint16 read, uint16 write, uint16 emergency) external returns (bool ok) {
        bool masksOk = (read | write | emergency) & ~Cast.ALL_CATEGORIES == 0;
        ok = role >= Cast.DOCTOR_ROLE && role < Cast.ROLE_COUNT && masksOk;
        if (ok) policies[role] = Policy(read, write, emergency);
    }

    /// @dev Staff move between staff roles, not while paused; patients stay patients. Starts a new standing.
    function changeRole(uint40 time, address account, uint8 role) external returns (bool ok) {
        Account storage a = accounts[account];
        ok =
            !paused &&
            a.member &&
            role > Cast.PATIENT &&
            role < Cast.ROLE_COUNT &&
            a.role != Cast.PATIENT &&
            a.role != role;
        if (ok) (a.role, a.since) = (role, time);
    }

    function breakGlass(
        uint40 time,
        address responder,
        address patient,
        bytes32 justification,
        uint32 duration
    ) external returns (bool ok) {
        Account memory a = accounts[responder];
        // A declaration while the window is open continues it: the cap counts from its first declaration.
        uint40 start = windowEnd[patient][responder] > time ? windowStart[patient][responder] : time;
        uint40 end = time + duration;
        if (end > start + maxWindow) end = start + maxWindow;
        ok =
            _inactiveReason(a) == 0 &&
            policies[a.role].emergency != 0 &&
            time >= a.since + Cast.BREAK_GLASS_WARMUP &&
            _isActivePatient(patient) &&
            justification != 0 &&
            duration != 0 &&
            duration <= maxWindow &&
            end > time;
        if (ok) {
            windowEnd[patient][responder] = end;
            windowStart[patient][responder] = start;
            windowIncident[patient][responder] = ++incidentCount;
            incidents[incidentCount] = IncidentInfo(patient, responder, 0, time);
        }
    }

    /// @dev An active auditor other than the responder reviews a pending incident once; an unjustified verdict
    /// on any incident of a window ends what is left of that window.
    function review(uint40 time, address auditor, uint64 id, uint8 verdict) external returns (bool ok) {
        Account memory a = accounts[auditor];
        IncidentInfo storage inc = incidents[id];
        ok =
            _inactiveReason(a) == 0 &&
            a.role == Cast.AUDITOR_ROLE &&
            (verdict == 1 || verdict == 2) &&
            inc.patient != address(0) &&
            inc.verdict == 0 &&
            inc.responder != auditor;
        if (!ok) return false;
        inc.verdict = verdict;
        if (
            verdict == 2 &&
            inc.openedAt >= windowStart[inc.patient][inc.responder] &&
            windowEnd[inc.patient][inc.responder] > time
        ) {
            windowEnd[inc.patient][inc.responder] = time;
        }
    }

    function setMaxWindow(uint32 duration) external returns (bool ok) {
        ok = duration != 0 && duration <= Cast.BREAK_GLASS_HARD_CAP;
        if (ok) maxWindow = duration;
    }

    function setPaused(bool on) external returns (bool ok) {
        ok = paused != on;
        if (ok) paused = on;
    }

    function anchor(
        uint40 time,
        address writer,
        address patient,
        uint8 category,
        bytes32 contentHash
    ) external returns (bool ok) {
        // The id belongs to the patient: the same envelope hash under another patient is another record.
        bytes32 id = keccak256(abi.encode(patient, contentHash));
        ok =
            !paused &&
            patient != address(0) &&
            category < Cast.CATEGORY_COUNT &&
            contentHash != 0 &&
            !records[id].exists &&
            mayWrite(time, patient, writer, category);
        if (ok) records[id] = RecordInfo(true, patient, category);
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Why `a` may not act (`NotAMember`, `MemberInactive`, or `OrganizationInactive` for staff), or 0.
    function _inactiveReason(Account memory a) private view returns (bytes4) {
        if (!a.member) return IMemberRegistry.NotAMember.selector;
        if (!a.active) return IMemberRegistry.MemberInactive.selector;
        if (a.role != Cast.PATIENT && !orgActive) return IMemberRegistry.OrganizationInactive.selector;
        return 0;
    }

    function _isActivePatient(address account) private view returns (bool) {
        Account memory a = accounts[account];
        return a.member && a.active && a.role == Cast.PATIENT;
    }

    function _validSets(uint16 categories, uint8 purposes) private pure returns (bool) {
        return
            categories != 0 &&
            categories & ~Cast.ALL_CATEGORIES == 0 &&
            purposes != 0 &&
            purposes & ~Cast.ALL_PURPOSES == 0;
    }

    function _has(uint16 set, uint8 index) private pure returns (bool) {
        return (set >> index) & 1 == 1;
    }
}
