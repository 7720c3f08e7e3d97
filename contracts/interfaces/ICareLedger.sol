// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessRules} from "./IAccessRules.sol";
import {IAuditedAccess} from "./IAuditedAccess.sol";
import {IAuditTrail} from "./IAuditTrail.sol";
import {IBreakGlass} from "./IBreakGlass.sol";
import {ICareGovernance} from "./ICareGovernance.sol";
import {IConsentRegistry} from "./IConsentRegistry.sol";
import {IDelegateRegistry} from "./IDelegateRegistry.sol";
import {IMemberRegistry} from "./IMemberRegistry.sol";
import {IRecordRegistry} from "./IRecordRegistry.sol";
import {IRolePolicyRegistry} from "./IRolePolicyRegistry.sol";
import {ISignedConsent} from "./ISignedConsent.sol";

/// @title ICareLedger
/// @notice The whole CareLedger suite as one interface, for front ends and integrators.
interface ICareLedger is
    ICareGovernance,
    IMemberRegistry,
    IRolePolicyRegistry,
    IConsentRegistry,
    IDelegateRegistry,
    ISignedConsent,
    IAuditTrail,
    IBreakGlass,
    IAccessRules,
    IRecordRegistry,
    IAuditedAccess
{
    /// @notice Run several calls of this contract in one transaction (OpenZeppelin `Multicall`): each is a
    /// delegatecall to the contract itself, so every call sees the batch's sender as `msg.sender` and keeps its own
    /// checks. The batch is atomic: the first failing call reverts the whole batch with that call's own error.
    /// @param data the ABI-encoded calls, in order
    /// @return results the return data of each call, in order
    function multicall(bytes[] calldata data) external returns (bytes[] memory results);
}
