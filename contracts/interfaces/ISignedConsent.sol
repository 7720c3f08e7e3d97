// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ISignedConsent
/// @notice Consent granted or revoked by an EIP-712 signature of the patient or a live delegate, relayed by
/// anyone, so a patient needs no gas. Smart-account patients (ERC-1271, e.g. a Safe) sign too.
/// Domain: name "CareLedger", version "1", the chain id and this contract.
/// Types: `GrantConsent(address patient,address grantee,uint16 categories,uint8 purposes,uint40 expiresAt,
/// uint256 nonce,uint256 deadline)` and `RevokeConsent(address patient,address grantee,uint256 nonce,
/// uint256 deadline)`. Nonces are per patient and must be used in order.
interface ISignedConsent {
    /// @notice `relayer` submitted a consent change of `patient` signed by `signer`; the change itself emits the
    /// same event as a direct call.
    /// @param patient the patient
    /// @param signer the patient, or the delegate who signed
    /// @param relayer who sent the transaction
    /// @param nonce the patient nonce the signature used
    event ConsentRelayed(address indexed patient, address indexed signer, address indexed relayer, uint256 nonce);

    /// @notice `actor` used up nonce `nonce` of `patient`, cancelling any signature that carries it.
    /// @param patient the patient
    /// @param actor the patient or delegate who cancelled
    /// @param nonce the nonce cancelled
    event NonceInvalidated(address indexed patient, address indexed actor, uint256 nonce);

    /// @notice `nonce` is not the current nonce `currentNonce` of `account` (replayed, reused or skipped).
    error InvalidAccountNonce(address account, uint256 currentNonce);
    /// @notice The signature's deadline `deadline` is before the current block time `currentTime`.
    error SignatureExpired(uint256 deadline, uint256 currentTime);
    /// @notice The signature recovers to `recovered`, not to the claimed `signer` (wrong chain, contract, fields).
    error SignerMismatch(address signer, address recovered);
    /// @notice Smart-account signer `signer` did not accept the signature (ERC-1271).
    error ERC1271SignatureRejected(address signer);

    /// @notice Grant consent on behalf of `patient` with a signature by the patient or a live delegate.
    /// @param patient the patient (must be active)
    /// @param grantee the grantee
    /// @param categories category bitmask (within the delegate's scope if a delegate signed)
    /// @param purposes purpose-of-use bitmask
    /// @param expiresAt end of the grant
    /// @param nonce the patient's current nonce (`nonces(patient)`)
    /// @param deadline last second the signature is valid
    /// @param signer the patient or delegate who signed (an EOA or an ERC-1271 contract)
    /// @param signature the EIP-712 signature (65 bytes for an EOA)
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
    ) external;

    /// @notice Revoke consent on behalf of `patient` with a signature by the patient or a live delegate.
    /// @param patient the patient
    /// @param grantee the grantee
    /// @param nonce the patient's current nonce
    /// @param deadline last second the signature is valid
    /// @param signer the patient or delegate who signed
    /// @param signature the EIP-712 signature
    function revokeWithSig(
        address patient,
        address grantee,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external;

    /// @notice Cancel every signed but unrelayed consent change of `patient` by using up its current nonce.
    /// Caller: the patient (active or not) or a live delegate. Allowed while paused.
    /// @param patient the patient
    function invalidateNonce(address patient) external;

    /// @notice The next consent nonce of `owner`; a signature must carry exactly this value.
    /// @param owner the patient
    /// @return nonce the current nonce
    function nonces(address owner) external view returns (uint256 nonce);

    /// @notice The EIP-712 domain separator of this deployment on this chain.
    /// @return separator the domain separator
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator);
}
