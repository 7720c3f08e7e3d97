// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CareLedger} from "../../../contracts/CareLedger.sol";
import {BreakGlassWindow, Grant, Incident} from "../../../contracts/types/CareTypes.sol";
import {AccessModel} from "../utils/AccessModel.sol";
import {Assertions} from "../utils/Assertions.sol";
import {callAs} from "../utils/CareLedgerFixture.sol";
import {Cast} from "../utils/Cast.sol";
import {vm} from "../utils/Vm.sol";

/// @notice Drives CareLedger and the reference `AccessModel` with the same random operations (grant, narrow,
/// extend, revoke, time warps, member (de)activation, role changes, role policy changes, break-glass, pause,
/// anchoring, opening) and compares them: every call's success, every opened path and refusal reason, and
/// samples of `hasAccess`, `canWrite` and `canOpen` after every operation. `checkAll` compares everything.
/// @dev Operations never revert: a disagreement is recorded (`mismatches`, `firstMismatch`) so it survives
/// whatever the runner does with reverting handler calls; `requireNoMismatch` re-raises the first one.
contract ConsentHandler is Assertions {
    /// @notice The ledger and the model disagree on `what` at `time` (`detail`: category * 16 + purpose, a record
    /// id, or an incident id, depending on `what`).
    error ModelMismatch(
        string what,
        uint40 time,
        address patient,
        address accessor,
        uint256 detail,
        uint256 expected,
        uint256 actual
    );

    CareLedger public immutable ledger;
    AccessModel public immutable model;

    /// @notice The handler's clock; every operation starts by warping to it (time only moves forward).
    uint40 public time = Cast.T0;
    bytes32[] public recordIds;
    /// @notice Operations run so far.
    uint256 public opCount;
    uint256 public mismatches;
    bytes public firstMismatch;
    /// @notice Calls and successes per operation name, to show the run did real work.
    mapping(string op => uint256) public attempts;
    mapping(string op => uint256) public successes;
    /// @notice `openRecord` outcomes by access path (index 0: refused).
    uint256[4] public opensByPath;

    /// @dev Recent consent and window ends, so warps can land exactly on (or just before) a boundary.
    uint40[16] internal _ends;
    uint256 internal _endCount;
    uint256 internal _anchorNonce;
    /// @dev Recently granted (patient, grantee) pairs, so narrow / extend / revoke mostly hit a real consent.
    address[2][8] internal _pairs;
    uint256 internal _pairCount;

    constructor(CareLedger ledger_) {
        ledger = ledger_;
        model = new AccessModel();
        for (uint256 p = 0; p < 2; ++p) {
            for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) recordIds.push(Cast.recordId(Cast.patient(p), c));
        }
    }

    // ------------------------------------------------------------------ operations (fuzz targets)

    function grant(uint256 who, uint256 to, uint16 categories, uint8 purposes, uint256 expiry) public {
        vm.warp(time);
        address patient = _patientMostly(who);
        address grantee = to % 17 == 16 ? address(0) : _granteeMostly(to);
        // Mostly well-formed sets; one time in eight the raw (usually out-of-range) value.
        uint16 cats = categories >> 13 == 7 ? categories : categories & Cast.ALL_CATEGORIES;
        uint8 purps = purposes >> 5 == 7 ? purposes : purposes & Cast.ALL_PURPOSES;
        // One time in sixteen no future, one in sixteen past the governance maximum.
        uint40 end =
            expiry % 16 == 0
                ? time
                : expiry % 16 == 1
                    ? time + Cast.MAX_CONSENT_DURATION + 1
                    : time + 1 + uint40((expiry >> 4) % 30 days);
        bool expected = model.grant(time, patient, grantee, cats, purps, end);
        (bool ok, ) = callAs(
            address(ledger),
            patient,
            abi.encodeCall(ledger.grantConsent, (grantee, cats, purps, end))
        );
        _outcome("grantConsent", patient, grantee, expected, ok);
        if (ok) {
            _markEnd(end);
            _pairs[_pairCount++ % 8] = [patient, grantee];
        }
        _checkSome(keccak256(abi.encode("grant", who, to, categories, purposes, expiry)));
    }

    function narrow(uint256 who, uint256 to, uint16 categoryMask, uint8 purposeMask) public {
        vm.warp(time);
        (address patient, address grantee) = _pair(who, to);
        AccessModel.Consent memory c = model.consentOf(patient, grantee);
        // Mostly a subset of the current sets (a real narrowing, or an equal/empty one); sometimes anything.
        bool raw = categoryMask >> 13 == 7;
        uint16 cats = raw ? categoryMask & Cast.ALL_CATEGORIES : c.categories & categoryMask;
        uint8 purps = raw ? purposeMask & Cast.ALL_PURPOSES : c.purposes & purposeMask;
        bool expected = model.narrow(time, patient, grantee, cats, purps);
        (bool ok, ) = callAs(address(ledger), patient, abi.encodeCall(ledger.narrowConsent, (grantee, cats, purps)));
        _outcome("narrowConsent", patient, grantee, expected, ok);
        _checkSome(keccak256(abi.encode("narrow", who, to, categoryMask, purposeMask)));
    }

    function extend(uint256 who, uint256 to, uint256 delta) public {
        vm.warp(time);
        (address patient, address grantee) = _pair(who, to);
        uint40 current = model.consentOf(patient, grantee).end;
        uint40 end = delta % 8 == 0 ? current : (current == 0 ? time : current) + 1 + uint40((delta >> 3) % 20 days);
        bool expected = model.extend(time, patient, grantee, end);
        (bool ok, ) = callAs(address(ledger), patient, abi.encodeCall(ledger.extendConsent, (grantee, end)));
        _outcome("extendConsent", patient, grantee, expected, ok);
        if (ok) _markEnd(end);
        _checkSome(keccak256(abi.encode("extend", who, to, delta)));
    }

    function revoke(uint256 who, uint256 to) public {
        vm.warp(time);
        (address patient, address grantee) = _pair(who, to);
        bool expected = model.revoke(patient, grantee);
        (bool ok, ) = callAs(address(ledger), patient, abi.encodeCall(ledger.revokeConsent, (grantee)));
        _outcome("revokeConsent", patient, grantee, expected, ok);
        _checkSome(keccak256(abi.encode("revoke", who, to)));
    }

    function warp(uint256 delta) public {
        ++opCount;
        uint256 mode = delta % 4;
        uint40 target = time + uint40((delta >> 2) % 3 days);
        if (mode < 2 && _endCount != 0) {
            uint40 end = _ends[(delta >> 2) % (_endCount < 16 ? _endCount : 16)];
            uint40 exact = mode == 0 ? end : end - 1; // land on the exclusive end, or one second before it
            if (exact > time) target = exact;
        }
        time = target;
        vm.warp(time);
        _checkSome(keccak256(abi.encode("warp", delta)));
    }

    /// @param mode deactivates one time in four; otherwise reactivates the next inactive member from `who` on
    /// (so members are mostly active), or tries `who` if all are active
    function setMemberActive(uint256 who, uint8 mode) public {
        vm.warp(time);
        address account = Cast.actor(who);
        bool active = mode % 4 != 0;
        for (uint256 i = 0; active && i < Cast.ACTOR_COUNT; ++i) {
            address candidate = Cast.actor((who % Cast.ACTOR_COUNT) + i);
            (bool member, bool isActive, , ) = model.accounts(candidate);
            if (member && !isActive) {
                account = candidate;
                break;
            }
        }
        bool expected = model.setActive(time, account, active);
        (bool ok, ) = callAs(
            address(ledger),
            Cast.REGISTRAR,
            abi.encodeCall(ledger.setMemberActive, (account, active))
        );
        _outcome("setMemberActive", account, account, expected, ok);
        _checkSome(keccak256(abi.encode("active", who, mode)));
    }

    function changeRole(uint256 who, uint8 role) public {
        vm.warp(time);
        address account = Cast.actor(who);
        uint8 r = role % (Cast.ROLE_COUNT + 1);
        bool expected = model.changeRole(time, account, r);
        (bool ok, ) = callAs(address(ledger), Cast.REGISTRAR, abi.encodeCall(ledger.changeMemberRole, (account, r)));
        _outcome("changeMemberRole", account, account, expected, ok);
        _checkSome(keccak256(abi.encode("role", who, role)));
    }

    function setRolePolicy(uint8 role, uint16 read, uint16 write, uint16 emergency) public {
        vm.warp(time);
        uint8 r = role % (Cast.ROLE_COUNT + 1);
        // Mostly valid masks; one time in eight each keeps the raw (out-of-range) mask.
        uint16 rd = read >> 13 == 7 ? read : read & Cast.ALL_CATEGORIES;
        uint16 wr = write >> 13 == 7 ? write : write & Cast.ALL_CATEGORIES;
        uint16 em = emergency >> 13 == 7 ? emergency : emergency & Cast.ALL_CATEGORIES;
        bool expected = model.setPolicy(r, rd, wr, em);
        (bool ok, ) = callAs(address(ledger), Cast.ADMIN, abi.encodeCall(ledger.setRolePolicy, (r, rd, wr, em)));
        _outcome("setRolePolicy", address(0), address(0), expected, ok);
        _checkSome(keccak256(abi.encode("policy", role, read, write, emergency)));
    }

    function breakGlass(uint256 who, uint256 whose, uint256 duration, bool zeroJustification) public {
        vm.warp(time);
        address responder =
            who % 4 == 3
                ? Cast.actor(who >> 2)
                : (who >> 2) % 2 == 0
                    ? Cast.DOCTOR
                    : Cast.RESPONDER;
        address patient = _patientMostly(whose);
        uint32 maxWindow = model.maxWindow();
        uint32 d = uint32(duration % (uint256(maxWindow) + 2)); // 0 and max + 1 are refused
        bytes32 justification = zeroJustification ? bytes32(0) : keccak256(abi.encode("why", duration));
        bool expected = model.breakGlass(time, responder, patient, justification, d);
        (bool ok, ) = callAs(
            address(ledger),
            responder,
            abi.encodeCall(ledger.breakGlass, (patient, justification, d))
        );
        _outcome("breakGlass", patient, responder, expected, ok);
        if (ok) {
            BreakGlassWindow memory w = ledger.breakGlassWindowOf(patient, responder);
            _expectEq("window end", patient, responder, d, w.expiresAt, model.windowEnd(patient, responder));
            _expectLe("window <= max", patient, responder, w.expiresAt - w.startedAt, maxWindow);
            _markEnd(w.expiresAt);
        }
        _checkSome(keccak256(abi.encode("glass", who, whose, duration)));
    }

    /// @param who the reviewer: mostly the auditor, sometimes anyone (refused unless an active auditor who did
    /// not open the incident)
    function review(uint256 who, uint64 incident, uint8 verdict) public {
        vm.warp(time);
        address auditor = who % 4 == 3 ? Cast.actor(who >> 2) : Cast.AUDITOR;
        uint64 count = model.incidentCount();
        // One time in eight an incident that does not exist yet, otherwise any existing one.
        uint64 id = incident % 8 == 0 || count == 0 ? count + 1 : 1 + uint64((incident >> 3) % count);
        uint8 v = verdict % 4; // 0 and 3 are refused
        bool expected = model.review(time, auditor, id, v);
        (bool ok, ) = callAs(
            address(ledger),
            auditor,
            abi.encodeCall(ledger.reviewBreakGlass, (id, v, keccak256(abi.encode("notes", id))))
        );
        _outcome("reviewBreakGlass", address(0), auditor, expected, ok);
        _checkSome(keccak256(abi.encode("review", who, incident, verdict)));
    }

    function setBreakGlassMaxDuration(uint32 duration) public {
        vm.warp(time);
        // One time in eight the raw value (almost always above the hard cap), otherwise 0 .. cap + 1.
        uint32 d = duration % 8 == 0 ? duration : uint32(duration % (Cast.BREAK_GLASS_HARD_CAP + 2));
        bool expected = model.setMaxWindow(d);
        (bool ok, ) = callAs(address(ledger), Cast.ADMIN, abi.encodeCall(ledger.setBreakGlassMaxDuration, (d)));
        _outcome("setBreakGlassMaxDuration", address(0), address(0), expected, ok);
    }

    /// @param mode suspends the staff's organisation one time in four, otherwise reinstates it
    function setOrgActive(uint8 mode) public {
        vm.warp(time);
        bool active = mode % 4 != 0;
        bool expected = model.setOrgActive(active);
        (bool ok, ) = callAs(
            address(ledger),
            Cast.REGISTRAR,
            abi.encodeCall(ledger.setOrganizationActive, (Cast.ORG, active))
        );
        _outcome("setOrganizationActive", address(0), address(0), expected, ok);
        _checkSome(keccak256(abi.encode("org", mode)));
    }

    /// @param mode pauses one time in four, otherwise unpauses (so the ledger is mostly unpaused)
    function setPaused(uint8 mode) public {
        vm.warp(time);
        bool on = mode % 4 == 0;
        bool expected = model.setPaused(on);
        (bool ok, ) = callAs(
            address(ledger),
            Cast.ADMIN,
            on ? abi.encodeCall(ledger.pause, ()) : abi.encodeCall(ledger.unpause, ())
        );
        _outcome(on ? "pause" : "unpause", address(0), address(0), expected, ok);
        _checkSome(keccak256(abi.encode("pause", on)));
    }

    function anchor(uint256 who, uint256 whose, uint8 category) public {
        vm.warp(time);
        address patient = _patientMostly(whose);
        address writer = who % 2 == 0 ? patient : _granteeMostly(who >> 1);
        uint8 c = category % (Cast.CATEGORY_COUNT + 1);
        bytes32 hash = keccak256(abi.encode("careledger.test.anchor", ++_anchorNonce));
        bool expected = model.anchor(time, writer, patient, c, hash);
        (bool ok, bytes memory ret) = callAs(
            address(ledger),
            writer,
            abi.encodeCall(ledger.anchorRecord, (patient, c, hash))
        );
        _outcome("anchorRecord", patient, writer, expected, ok);
        if (ok) {
            bytes32 id = abi.decode(ret, (bytes32));
            _expectEq("record id", patient, writer, 0, uint256(id), uint256(keccak256(abi.encode(patient, hash))));
            recordIds.push(id);
        }
        _checkSome(keccak256(abi.encode("anchor", who, whose, category)));
    }

    /// @dev Half the time a grantee opens a record its consent covers (if its role reads it: the consent path);
    /// otherwise any record (or an unknown id), by mostly staff or the record's patient, for any purpose.
    function open(uint256 rec, uint256 who, uint8 purpose) public {
        vm.warp(time);
        bytes32 id;
        address accessor;
        uint8 u;
        if (rec % 2 == 0 && _pairCount != 0) {
            address[2] memory pair = _pairs[(rec >> 1) % (_pairCount < 8 ? _pairCount : 8)];
            AccessModel.Consent memory c = model.consentOf(pair[0], pair[1]);
            id = Cast.recordId(pair[0], _pickBit(c.categories, rec >> 8, Cast.CATEGORY_COUNT));
            accessor = pair[1];
            u = _pickBit(c.purposes, purpose, Cast.PURPOSE_COUNT);
        } else {
            id = rec % 32 == 31 ? keccak256(abi.encode("unknown", rec)) : recordIds[(rec >> 1) % recordIds.length];
            accessor = who % 4 == 3 ? Cast.actor(who >> 2) : Cast.staffOf(uint8(Cast.DOCTOR_ROLE + ((who >> 2) % 5)));
            (, address owner, ) = model.records(id);
            if (who % 8 == 7 && owner != address(0)) accessor = owner; // the patient themself
            // One time in four the emergency purpose (the only one a break-glass window serves), otherwise any
            // purpose or the invalid PURPOSE_COUNT.
            u = purpose % 4 == 0 ? Cast.EMERGENCY : (purpose >> 2) % (Cast.PURPOSE_COUNT + 1);
        }
        (uint8 expectedPath, bytes4 expectedError) = model.openDecision(time, id, accessor, u);
        (bool ok, bytes memory ret) = callAs(address(ledger), accessor, abi.encodeCall(ledger.openRecord, (id, u)));
        ++opCount;
        ++attempts["openRecord"];
        if (ok) {
            uint8 path = abi.decode(ret, (uint8));
            ++opensByPath[path];
            ++successes["openRecord"];
            _expectEq("openRecord path", address(0), accessor, uint256(id), path, expectedPath);
        } else {
            ++opensByPath[0];
            _expectEq("openRecord refused", address(0), accessor, uint256(id), 0, expectedPath);
            _expectEq(
                "openRecord error",
                address(0),
                accessor,
                uint256(id),
                uint32(selectorOf(ret)),
                uint32(expectedError)
            );
        }
        _checkSome(keccak256(abi.encode("open", rec, who, purpose)));
    }

    /// @notice One operation chosen and parameterised by `word` (for plain fuzz tests over sequences).
    function step(uint256 word) external {
        uint256 a = uint256(keccak256(abi.encode(word, 1)));
        uint256 b = uint256(keccak256(abi.encode(word, 2)));
        uint256 c = uint256(keccak256(abi.encode(word, 3)));
        uint256 kind = word % 32;
        if (kind < 6) grant(a, b, uint16(c), uint8(c >> 16), c >> 24);
        else if (kind < 8) narrow(a, b, uint16(c), uint8(c >> 16));
        else if (kind < 10) extend(a, b, c);
        else if (kind < 12) revoke(a, b);
        else if (kind < 16) warp(a);
        else if (kind < 18) setMemberActive(a, uint8(b));
        else if (kind < 19) changeRole(a, uint8(b));
        else if (kind < 20) setRolePolicy(uint8(a), uint16(b), uint16(c), uint16(c >> 16));
        else if (kind < 22) breakGlass(a, b, c, c % 32 == 0);
        else if (kind < 23) review(a, uint64(b), uint8(c));
        else if (kind < 24) setBreakGlassMaxDuration(uint32(b));
        else if (kind < 26) setPaused(uint8(b));
        else if (kind < 28) anchor(a, b, uint8(c));
        else if (kind == 31 && b % 2 == 0) setOrgActive(uint8(c));
        else open(a, b, uint8(c));
    }

    // ------------------------------------------------------------------ checks

    /// @notice Re-raise the first recorded disagreement, if any.
    function requireNoMismatch() external view {
        if (mismatches == 0) return;
        bytes memory err = firstMismatch;
        assembly {
            revert(add(err, 32), mload(err))
        }
    }

    /// @notice Compare every view the model predicts, for both patients, every actor, category and purpose,
    /// and every known record; revert with the first disagreement. Call after warping to `time`.
    function checkAll() external view {
        checkSlice(0, 1);
    }

    /// @notice `checkAll` restricted to slice `slice` of `slices` (of the (patient, actor, category) triples and
    /// of the (record, actor) pairs), so a check after every call stays cheap and consecutive calls cover all.
    function checkSlice(uint256 slice, uint256 slices) public view {
        uint256 n = 0;
        for (uint256 p = 0; p < 2; ++p) {
            address patient = Cast.patient(p);
            for (uint256 i = 0; i < Cast.ACTOR_COUNT; ++i) {
                address accessor = Cast.actor(i);
                for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) {
                    if (n++ % slices != slice) continue;
                    if (c == 0) {
                        _raise(_compareConsent(patient, accessor));
                        _raise(_compareWindow(patient, accessor));
                    }
                    _raise(_compareWrite(patient, accessor, c));
                    for (uint8 u = 0; u < Cast.PURPOSE_COUNT; ++u) _raise(_compareRead(patient, accessor, c, u));
                }
            }
        }
        // `canOpen` shares the read rule checked above for every purpose; here one purpose per (record, actor),
        // rotating, checks the record lookup and the break-glass path.
        for (uint256 r = 0; r < recordIds.length; ++r) {
            for (uint256 i = 0; i < Cast.ACTOR_COUNT; ++i) {
                if (n++ % slices != slice) continue;
                _raise(_compareOpen(recordIds[r], Cast.actor(i), uint8((r + i) % Cast.PURPOSE_COUNT)));
            }
        }
    }

    /// @notice Number of records the handler knows (fixture plus anchored).
    function recordCount() external view returns (uint256) {
        return recordIds.length;
    }

    function _checkSome(bytes32 seed) internal {
        for (uint256 k = 0; k < 3; ++k) {
            uint256 s = uint256(keccak256(abi.encode(seed, k)));
            address patient = Cast.patient(s);
            address accessor = Cast.actor(s >> 8);
            uint8 c = uint8((s >> 16) % Cast.CATEGORY_COUNT);
            uint8 u = uint8((s >> 24) % Cast.PURPOSE_COUNT);
            _record(_compareRead(patient, accessor, c, u));
            _record(_compareWrite(patient, accessor, c));
            _record(_compareConsent(patient, accessor));
            _record(_compareOpen(recordIds[(s >> 32) % recordIds.length], accessor, u));
        }
    }

    function _compareRead(address patient, address accessor, uint8 c, uint8 u) internal view returns (bytes memory) {
        bool actual = ledger.hasAccess(patient, accessor, c, u);
        bool expected = model.hasAccess(time, patient, accessor, c, u);
        if (actual == expected) return "";
        return _err("hasAccess", patient, accessor, c * 16 + u, expected ? 1 : 0, actual ? 1 : 0);
    }

    function _compareWrite(address patient, address writer, uint8 c) internal view returns (bytes memory) {
        bool actual = ledger.canWrite(patient, writer, c);
        bool expected = model.canWrite(time, patient, writer, c);
        if (actual == expected) return "";
        return _err("canWrite", patient, writer, c, expected ? 1 : 0, actual ? 1 : 0);
    }

    function _compareOpen(bytes32 id, address accessor, uint8 u) internal view returns (bytes memory) {
        uint8 actual = uint8(ledger.canOpen(id, accessor, u));
        (uint8 expected, ) = model.openDecision(time, id, accessor, u);
        if (actual == expected) return "";
        return _err("canOpen", address(0), accessor, uint256(id), expected, actual);
    }

    function _compareConsent(address patient, address grantee) internal view returns (bytes memory) {
        Grant memory g = ledger.consentOf(patient, grantee);
        AccessModel.Consent memory m = model.consentOf(patient, grantee);
        if (g.expiresAt != m.end) return _err("consent end", patient, grantee, 0, m.end, g.expiresAt);
        if (g.categories != m.categories)
            return _err("consent categories", patient, grantee, 0, m.categories, g.categories);
        if (g.purposes != m.purposes) return _err("consent purposes", patient, grantee, 0, m.purposes, g.purposes);
        return "";
    }

    /// @dev The window matches the model, and its incident lasts at most the hard cap.
    function _compareWindow(address patient, address responder) internal view returns (bytes memory) {
        BreakGlassWindow memory w = ledger.breakGlassWindowOf(patient, responder);
        uint40 expected = model.windowEnd(patient, responder);
        if (w.expiresAt != expected) return _err("window end", patient, responder, 0, expected, w.expiresAt);
        if (w.incidentId == 0) return "";
        Incident memory inc = ledger.incidentOf(w.incidentId);
        // The window ends when its incident does, or earlier once an auditor found it unjustified.
        if (w.expiresAt > inc.expiresAt)
            return _err("window past incident", patient, responder, w.incidentId, inc.expiresAt, w.expiresAt);
        // However many declarations, a window never outlasts the hard cap from its first one.
        if (w.expiresAt - w.startedAt > Cast.BREAK_GLASS_HARD_CAP) {
            return
                _err(
                    "window > cap",
                    patient,
                    responder,
                    w.incidentId,
                    Cast.BREAK_GLASS_HARD_CAP,
                    w.expiresAt - w.startedAt
                );
        }
        if (inc.expiresAt - inc.openedAt > Cast.BREAK_GLASS_HARD_CAP) {
            return
                _err(
                    "incident > cap",
                    patient,
                    responder,
                    w.incidentId,
                    Cast.BREAK_GLASS_HARD_CAP,
                    inc.expiresAt - inc.openedAt
                );
        }
        return "";
    }

    // ------------------------------------------------------------------ bookkeeping

    function _outcome(string memory op, address a, address b, bool expected, bool actual) internal {
        ++opCount;
        ++attempts[op];
        if (actual) ++successes[op];
        if (expected != actual) _record(_err(op, a, b, 0, expected ? 1 : 0, actual ? 1 : 0));
    }

    function _expectEq(
        string memory what,
        address a,
        address b,
        uint256 detail,
        uint256 actual,
        uint256 expected
    ) internal {
        if (actual != expected) _record(_err(what, a, b, detail, expected, actual));
    }

    function _expectLe(string memory what, address a, address b, uint256 actual, uint256 limit) internal {
        if (actual > limit) _record(_err(what, a, b, 0, limit, actual));
    }

    function _err(
        string memory what,
        address patient,
        address accessor,
        uint256 detail,
        uint256 expected,
        uint256 actual
    ) internal view returns (bytes memory) {
        return abi.encodeWithSelector(ModelMismatch.selector, what, time, patient, accessor, detail, expected, actual);
    }

    function _record(bytes memory err) internal {
        if (err.length == 0) return;
        if (mismatches++ == 0) firstMismatch = err;
    }

    function _raise(bytes memory err) internal pure {
        if (err.length == 0) return;
        assembly {
            revert(add(err, 32), mload(err))
        }
    }

    function _markEnd(uint40 end) internal {
        _ends[_endCount++ % 16] = end;
    }

    /// @dev Three times in four a recently granted pair, otherwise a patient (mostly) and a grantee (mostly).
    function _pair(uint256 who, uint256 to) internal view returns (address patient, address grantee) {
        if (who % 4 != 3 && _pairCount != 0) {
            address[2] memory pair = _pairs[(who >> 2) % (_pairCount < 8 ? _pairCount : 8)];
            return (pair[0], pair[1]);
        }
        return (_patientMostly(who >> 2), _granteeMostly(to));
    }

    /// @dev A set bit of `set` (below `count`), searching from `seed % count`; `seed % count` if none is set.
    function _pickBit(uint16 set, uint256 seed, uint8 count) internal pure returns (uint8) {
        for (uint256 k = 0; k < count; ++k) {
            uint8 i = uint8(((seed % count) + k) % count);
            if ((set >> i) & 1 == 1) return i;
        }
        return uint8(seed % count);
    }

    /// @dev A clinical or billing staff member three times in four (so the same few consents get narrowed,
    /// extended and revoked), otherwise any actor.
    function _granteeMostly(uint256 seed) internal pure returns (address) {
        return seed % 4 == 3 ? Cast.actor(seed >> 2) : Cast.staffOf(uint8(Cast.DOCTOR_ROLE + ((seed >> 2) % 3)));
    }

    /// @dev A patient seven times in eight, otherwise any actor (staff and non-members are refused).
    function _patientMostly(uint256 seed) internal pure returns (address) {
        return seed % 8 == 7 ? Cast.actor(seed >> 3) : Cast.patient(seed >> 3);
    }
}
