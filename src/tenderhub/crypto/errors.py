"""Crypto refusals are typed domain errors (``Invalid``), so the web edge maps them once."""

from __future__ import annotations

from tenderhub.core.shared.errors import Invalid


class CryptoError(Invalid):
    """A key, signature, certificate or envelope is refused; ``field`` names what."""

    def __init__(self, message_en: str, *, field: str, message_zh: str | None = None) -> None:
        super().__init__(message_en, message_zh=message_zh, field=field, code=self.code_name)

    code_name = "crypto"


class EnvelopeError(CryptoError):
    """A sealed file was tampered with, truncated, reordered, or opened with the wrong key."""

    code_name = "envelope"


class CertificateError(CryptoError):
    """A certificate does not chain to a trusted CA, is out of its validity, or is misused."""

    code_name = "certificate"


class SignatureError(CryptoError):
    """A signature or a signed document does not verify."""

    code_name = "signature"
