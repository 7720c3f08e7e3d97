// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAuditedAccess} from "../../contracts/interfaces/IAuditedAccess.sol";
import {IBreakGlass} from "../../contracts/interfaces/IBreakGlass.sol";
import {AccessPath, BreakGlassWindow, Incident} from "../../contracts/types/CareTypes.sol";
import {CareLedgerFixture, callAs} from "./utils/CareLedgerFixture.sol";
import {Cast} from "./utils/Cast.sol";
import {Vm, vm} from "./utils/Vm.sol";

/// @notice The audit heads on chain equal the fold of the audited events the ledger emitted, in emission order,
/// and those events are exactly the successful `openRecord` / `breakGlass` / `reviewBreakGlass` calls.
/// @dev The fold is recomputed here from IAuditTrail's NatSpec: entry = keccak256(abi.encode(uint8 action, <event fields in
/// declaration order>)), head = keccak256(abi.encode(head, entry)) from zero, globally and per patient.
contract AuditFoldTest is CareLedgerFixture {
    // Event signatures written out from the interfaces (enums are uint8 in the ABI).
    bytes32 internal constant OPENED = keccak256("RecordOpened(bytes32,address,address,uint8,uint8,uint40)");
    bytes32 internal constant DECLARED = keccak256("BreakGlassDeclared(uint64,address,address,bytes32,uint40,uint40)");
    bytes32 internal constant REVIEWED = keccak256("BreakGlassReviewed(uint64,address,address,uint8,bytes32,uint40)");
    uint8 internal constant ACTION_OPENED = 0;
    uint8 internal constant ACTION_DECLARED = 1;
    uint8 internal constant ACTION_REVIEWED = 2;

    /// @dev Entries the test expects, computed from each successful call's inputs and results (not the logs).
    bytes32[] internal _expected;
    address[] internal _expectedPatient;
    uint256 internal _extraRecords;

    function setUp() public {
        _deployFixture();
        // Consents so that a good share of random opens succeed (the rest are refused and must leave no entry).
        uint40 end = Cast.T0 + 365 days;
        vm.startPrank(Cast.PATIENT_1);
        ledger.grantConsent(Cast.DOCTOR, Cast.ALL_CATEGORIES, Cast.ALL_PURPOSES, end);
        ledger.grantConsent(Cast.NURSE, 0x01E, 0x07, end);
        vm.stopPrank();
        vm.startPrank(Cast.PATIENT_2);
        ledger.grantConsent(Cast.DOCTOR, 0x0F0, 0x01, end);
        ledger.grantConsent(Cast.CLERK, 0x081, 0x02, end);
        vm.stopPrank();
    }

    function test_eventSignaturesMatchTheInterfaces() public pure {
        assertEq(OPENED, IAuditedAccess.RecordOpened.selector, "RecordOpened signature");
        assertEq(DECLARED, IBreakGlass.BreakGlassDeclared.selector, "BreakGlassDeclared signature");
        assertEq(REVIEWED, IBreakGlass.BreakGlassReviewed.selector, "BreakGlassReviewed signature");
    }

    /// @notice A random sequence of opens (allowed and refused), break-glass declarations, reviews, warps and
    /// unaudited calls; then the emitted audited events, in order, are exactly the expected entries, and their
    /// fold equals `auditHead()` and each `patientAuditHead(p)`.
    function testFuzz_auditHeadsEqualFoldOfEmittedEntries(uint256[32] calldata ops) public {
        _runAndCheckFold(ops);
    }

    /// @notice A fixed run produces every kind of audit entry, for both patients, so the fuzz runs above
    /// exercise all three entry encodings.
    function test_foldCoversEveryEntryKindAndPatient() public {
        // Kinds in `_apply`: open, break-glass, open, review, break-glass, warp, unaudited, review; random arguments.
        uint8[8] memory kinds = [0, 7, 1, 10, 8, 12, 14, 11];
        uint256[32] memory ops;
        for (uint256 i = 0; i < ops.length; ++i) {
            ops[i] = (uint256(keccak256(abi.encode("audit coverage", i))) << 4) | kinds[i % 8];
        }
        uint256[5] memory counts = _runAndCheckFold(ops);
        assertTrue(counts[ACTION_OPENED] > 0, "RecordOpened entries");
        assertTrue(counts[ACTION_DECLARED] > 0, "BreakGlassDeclared entries");
        assertTrue(counts[ACTION_REVIEWED] > 0, "BreakGlassReviewed entries");
        assertTrue(counts[3] > 0 && counts[4] > 0, "entries for both patients");
    }

    /// @return counts entries by action (0..2), then entries of patient 1 and of patient 2
    function _runAndCheckFold(uint256[32] memory ops) internal returns (uint256[5] memory counts) {
        assertEq(ledger.auditHead(), bytes32(0), "empty trail at start");
        vm.recordLogs();
        for (uint256 i = 0; i < ops.length; ++i) _apply(ops[i]);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        bytes32 global;
        bytes32[2] memory perPatient;
        uint256 n;
        for (uint256 i = 0; i < logs.length; ++i) {
            (bool audited, uint8 action, address patient, bytes32 entry) = _entryOf(logs[i]);
            if (!audited) continue;
            assertTrue(n < _expected.length, "more audited events than successful audited calls");
            assertEq(entry, _expected[n], "entry n differs from the call that produced it (removed or reordered?)");
            assertEq(patient, _expectedPatient[n], "entry patient");
            global = keccak256(abi.encode(global, entry));
            uint256 p = patient == Cast.PATIENT_1 ? 0 : 1;
            perPatient[p] = keccak256(abi.encode(perPatient[p], entry));
            ++counts[action];
            ++counts[3 + p];
            ++n;
        }
        assertEq(n, _expected.length, "audited events emitted");
        assertEq(ledger.auditHead(), global, "auditHead");
        assertEq(ledger.patientAuditHead(Cast.PATIENT_1), perPatient[0], "patientAuditHead(patient 1)");
        assertEq(ledger.patientAuditHead(Cast.PATIENT_2), perPatient[1], "patientAuditHead(patient 2)");
        assertEq(ledger.patientAuditHead(Cast.DOCTOR), bytes32(0), "no head for a non-patient");
    }

    /// @notice Heads move only by folding: after each audited call the new head is exactly
    /// keccak256(abi.encode(previous head, entry)), and a refused call leaves both heads unchanged.
    function testFuzz_eachCallFoldsExactlyOneEntryOrNone(uint256[16] calldata ops) public {
        for (uint256 i = 0; i < ops.length; ++i) {
            bytes32 globalBefore = ledger.auditHead();
            bytes32[2] memory before = [
                ledger.patientAuditHead(Cast.PATIENT_1),
                ledger.patientAuditHead(Cast.PATIENT_2)
            ];
            uint256 expectedBefore = _expected.length;
            _apply(ops[i]);
            if (_expected.length == expectedBefore) {
                assertEq(ledger.auditHead(), globalBefore, "refused or unaudited call moved the head");
                assertEq(ledger.patientAuditHead(Cast.PATIENT_1), before[0], "patient 1 head moved");
                assertEq(ledger.patientAuditHead(Cast.PATIENT_2), before[1], "patient 2 head moved");
                continue;
            }
            bytes32 entry = _expected[expectedBefore];
            uint256 p = _expectedPatient[expectedBefore] == Cast.PATIENT_1 ? 0 : 1;
            assertEq(ledger.auditHead(), keccak256(abi.encode(globalBefore, entry)), "global fold step");
            assertEq(
                ledger.patientAuditHead(Cast.patient(p)),
                keccak256(abi.encode(before[p], entry)),
                "patient fold step"
            );
            assertEq(ledger.patientAuditHead(Cast.patient(p + 1)), before[1 - p], "other patient's head moved");
        }
    }

    // ------------------------------------------------------------------ operations

    function _apply(uint256 word) internal {
        uint256 kind = word % 16;
        uint256 a = uint256(keccak256(abi.encode(word, "a")));
        if (kind < 7) _open(a);
        else if (kind < 10) _breakGlass(a);
        else if (kind < 12) _review(a);
        else if (kind < 14) vm.warp(block.timestamp + (a % 6 hours));
        else _unaudited(a);
    }

    function _open(uint256 a) internal {
        address patient = Cast.patient(a);
        bytes32 id = Cast.recordId(patient, uint8((a >> 8) % Cast.CATEGORY_COUNT));
        address accessor = (a >> 16) % 8 == 0 ? patient : Cast.actor(a >> 24);
        uint8 purpose = uint8((a >> 32) % Cast.PURPOSE_COUNT);
        (bool ok, bytes memory ret) = callAs(
            address(ledger),
            accessor,
            abi.encodeCall(ledger.openRecord, (id, purpose))
        );
        if (!ok) return;
        uint8 path = abi.decode(ret, (uint8));
        assertTrue(path != uint8(AccessPath.None), "openRecord succeeded with path None");
        _expect(
            patient,
            keccak256(abi.encode(ACTION_OPENED, id, patient, accessor, purpose, path, uint40(block.timestamp)))
        );
    }

    function _breakGlass(uint256 a) internal {
        address responder = a % 4 == 0 ? Cast.actor(a >> 2) : ((a >> 2) % 2 == 0 ? Cast.RESPONDER : Cast.DOCTOR);
        address patient = Cast.patient(a >> 8);
        uint32 duration = uint32((a >> 16) % (uint256(Cast.BREAK_GLASS_MAX) + 2));
        bytes32 why = keccak256(abi.encode("justification", a));
        BreakGlassWindow memory before = ledger.breakGlassWindowOf(patient, responder);
        (bool ok, bytes memory ret) = callAs(
            address(ledger),
            responder,
            abi.encodeCall(ledger.breakGlass, (patient, why, duration))
        );
        if (!ok) return;
        uint64 incidentId = abi.decode(ret, (uint64));
        uint40 openedAt = uint40(block.timestamp);
        // A declaration in an open window continues it: its end is capped from the window's first declaration.
        uint40 start = before.expiresAt > openedAt ? before.startedAt : openedAt;
        uint40 end = openedAt + duration;
        if (end > start + Cast.BREAK_GLASS_MAX) end = start + Cast.BREAK_GLASS_MAX;
        _expect(patient, keccak256(abi.encode(ACTION_DECLARED, incidentId, patient, responder, why, openedAt, end)));
    }

    function _review(uint256 a) internal {
        address auditor = a % 4 == 0 ? Cast.actor(a >> 2) : Cast.AUDITOR;
        uint64 count = ledger.incidentCount();
        // One time in eight an incident that does not exist (0 or count + 1), or an invalid verdict (0 or 3).
        uint64 incidentId =
            (a >> 8) % 8 == 0 || count == 0 ? uint64((a >> 11) % 2) * (count + 1) : uint64(1 + ((a >> 11) % count));
        uint8 verdict = (a >> 16) % 8 == 0 ? uint8(3 * ((a >> 19) % 2)) : uint8(1 + ((a >> 19) % 2));
        bytes32 notes = keccak256(abi.encode("notes", a));
        Incident memory incident = ledger.incidentOf(incidentId);
        (bool ok, ) = callAs(
            address(ledger),
            auditor,
            abi.encodeCall(ledger.reviewBreakGlass, (incidentId, verdict, notes))
        );
        if (!ok) return;
        _expect(
            incident.patient,
            keccak256(
                abi.encode(
                    ACTION_REVIEWED,
                    incidentId,
                    incident.patient,
                    auditor,
                    verdict,
                    notes,
                    uint40(block.timestamp)
                )
            )
        );
    }

    /// @dev Calls that emit events but are not audited: they must not reach the trail.
    function _unaudited(uint256 a) internal {
        address patient = Cast.patient(a);
        if (a % 2 == 0) {
            vm.prank(patient);
            ledger.anchorRecord(
                patient,
                uint8((a >> 8) % Cast.CATEGORY_COUNT),
                keccak256(abi.encode("extra", ++_extraRecords))
            );
        } else {
            vm.prank(patient);
            ledger.grantConsent(Cast.RESPONDER, 0x001, 0x01, uint40(block.timestamp + 1 days));
        }
    }

    function _expect(address patient, bytes32 entry) internal {
        _expected.push(entry);
        _expectedPatient.push(patient);
    }

    // ------------------------------------------------------------------ log decoding

    /// @dev The action and audit entry of `log` if it is one of the three audited events of the ledger.
    function _entryOf(
        Vm.Log memory log
    ) internal view returns (bool audited, uint8 action, address patient, bytes32 entry) {
        if (log.emitter != address(ledger) || log.topics.length != 4) return (false, 0, address(0), 0);
        bytes32 sig = log.topics[0];
        patient = address(uint160(uint256(log.topics[2])));
        address actor = address(uint160(uint256(log.topics[3])));
        if (sig == OPENED) {
            (uint8 purpose, uint8 path, uint40 openedAt) = abi.decode(log.data, (uint8, uint8, uint40));
            action = ACTION_OPENED;
            entry = keccak256(abi.encode(action, log.topics[1], patient, actor, purpose, path, openedAt));
        } else if (sig == DECLARED) {
            (bytes32 why, uint40 openedAt, uint40 expiresAt) = abi.decode(log.data, (bytes32, uint40, uint40));
            action = ACTION_DECLARED;
            uint64 id = uint64(uint256(log.topics[1]));
            entry = keccak256(abi.encode(action, id, patient, actor, why, openedAt, expiresAt));
        } else if (sig == REVIEWED) {
            (uint8 verdict, bytes32 notes, uint40 reviewedAt) = abi.decode(log.data, (uint8, bytes32, uint40));
            action = ACTION_REVIEWED;
            uint64 id = uint64(uint256(log.topics[1]));
            entry = keccak256(abi.encode(action, id, patient, actor, verdict, notes, reviewedAt));
        } else {
            return (false, 0, address(0), 0);
        }
        audited = true;
    }
}
