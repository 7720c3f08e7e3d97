// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ISignedConsent} from "../interfaces/ISignedConsent.sol";
import {Member, Role} from "../types/CareTypes.sol";
import {DelegateRegistry} from "./DelegateRegistry.sol";

/// @title SignedConsent
/// @notice Gasless consent for patients: EIP-712 signatures by the patient or a live delegate, relayed by anyone.
/// @dev A signature is bound to one chain and one contract (EIP-712 domain), used once (the patient's sequential
/// nonce), and only before its deadline. A signature is first tried as an ECDSA signature of `signer` (malleable
/// high-s signatures are refused); failing that, a `signer` with code is asked through ERC-1271 (`SignatureChecker`),
/// which also covers EIP-7702 accounts.
/// The nonce follows OpenZeppelin `Nonces` (same `nonces(address)` view and `InvalidAccountNonce` error) but lives
/// in the patient's member slot: checking the patient and using the nonce is one storage access, which saves a
/// cold read on every signed call and a zero-to-non-zero write on a patient's first signature.
abstract contract SignedConsent is DelegateRegistry, EIP712, ISignedConsent {
    /// @notice EIP-712 type hash of a grant.
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "GrantConsent(address patient,address grantee,uint16 categories,uint8 purposes,uint40 expiresAt,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of a revocation.
    bytes32 public constant REVOKE_TYPEHASH = keccak256(
        "RevokeConsent(address patient,address grantee,uint256 nonce,uint256 deadline)"
    );

    constructor() EIP712("CareLedger", "1") {}

    /// @inheritdoc ISignedConsent
    function grantWithSig(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(GRANT_TYPEHASH, patient, grantee, categories, purposes, expiresAt, nonce, deadline)
        );
        _verify(patient, structHash, nonce, deadline, signer, signature);
        _requireActivePatient(patient);
        _requireActor(patient, signer, categories);
        _grant(patient, grantee, categories, purposes, expiresAt, signer);
        emit ConsentRelayed(patient, signer, msg.sender, nonce);
    }

    /// @inheritdoc ISignedConsent
    function revokeWithSig(
        address patient,
        address grantee,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, patient, grantee, nonce, deadline));
        _verify(patient, structHash, nonce, deadline, signer, signature);
        _requireActor(patient, signer, _grants[patient][grantee].categories);
        _revoke(patient, grantee, signer);
        emit ConsentRelayed(patient, signer, msg.sender, nonce);
    }

    /// @inheritdoc ISignedConsent
    function invalidateNonce(address patient) external {
        Member storage m = _members[patient];
        if (m.role != Role.Patient) revert NotAPatient(patient, m.role);
        _requireActor(patient, msg.sender, 0);
        uint64 used = m.nonce;
        m.nonce = used + 1;
        emit NonceInvalidated(patient, msg.sender, used);
    }

    /// @inheritdoc ISignedConsent
    function nonces(address owner) external view returns (uint256 nonce) {
        return _members[owner].nonce;
    }

    /// @inheritdoc ISignedConsent
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator) {
        return _domainSeparatorV4();
    }

    /// @dev Checks deadline, signature and nonce (consuming it), in that order of cost.
    function _verify(
        address patient,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(structHash);
        // ECDSA first, as SignatureChecker does: the common EOA case never pays for a cold EXTCODESIZE.
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            if (signer.code.length != 0) {
                if (!SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature)) {
                    revert ERC1271SignatureRejected(signer);
                }
            } else {
                // Re-run to revert with ECDSA's own precise error (high-s, length, invalid), else a mismatch.
                revert SignerMismatch(signer, ECDSA.recoverCalldata(digest, signature));
            }
        }
        Member storage m = _members[patient];
        uint64 current = m.nonce;
        if (nonce != current) revert InvalidAccountNonce(patient, current);
        m.nonce = current + 1;
    }
}
