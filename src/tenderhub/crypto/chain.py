"""Certification paths (RFC 5280 §6): a holder certificate, intermediate CAs, a trust anchor.

The trust list holds the anchors (root CAs, or any CA a platform or the hub chose to trust);
intermediate CAs are untrusted until a path joins them to an anchor: they come with the
certificate (a ``chain`` of PEMs next to it) or from the pool of listed intermediates.

``build`` searches the paths upwards by name chaining: the next certificate's subject is the
current one's issuer, its subjectKeyIdentifier equals the current one's authorityKeyIdentifier
when both are present, and its key verifies the current one's signature; a CA seen twice (same
name and key: a loop), a self-signed CA that is not an anchor, a path of more than
``MAX_INTERMEDIATES`` intermediates, and more than ``MAX_LINKS`` candidates end the search there. ``check`` then decides a complete path
at one time (the receipt, sign-in or attested time), from the anchor down: each certificate within its
validity, each issuer a CA (basicConstraints CA=TRUE, keyUsage keyCertSign when present) whose
pathLenConstraint allows the CAs below it, no critical extension we do not process, and each
issued certificate not revoked at that time by its issuer's newest CRL (so an intermediate
revoked by the root revokes every certificate under it). The time is a trusted one chosen by the
caller (ADR 0019), never a signer's claim. A refusal names the certificate and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from tenderhub.core.shared.clock import as_utc
from tenderhub.crypto import certs, crl
from tenderhub.crypto.errors import CertificateError

MAX_INTERMEDIATES = 6
MAX_CHAIN = 10  # certificates that may come with one certificate
MAX_PATHS = 16
MAX_LINKS = 64  # candidate issuers examined per validation (a hostile chain cannot make it search long)
PROCESSED = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
             ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
             ExtensionOID.AUTHORITY_KEY_IDENTIFIER}
Revocations = Callable[[x509.Certificate], crl.RevocationList | None]


def cn(cert: x509.Certificate) -> str:
    return certs.attribute(cert.subject, NameOID.COMMON_NAME) or cert.subject.rfc4514_string()


def role(path: list[x509.Certificate], i: int, *, anchored: bool = True) -> tuple[str, str]:
    """(English, Chinese) of the ``i``-th certificate of a path, e.g. "intermediate CA 'Sub CA'"."""
    if i == 0:
        return f"holder certificate {cn(path[0])!r}", f"持有者证书 {cn(path[0])}"
    if anchored and i == len(path) - 1:
        return f"trusted CA {cn(path[i])!r}", f"受信任的 CA {cn(path[i])}"
    return f"intermediate CA {cn(path[i])!r}", f"中级 CA {cn(path[i])}"


def refused(en: str, zh: str) -> CertificateError:
    return CertificateError(en, message_zh=zh, field="certificate")


def self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


# ---- building ------------------------------------------------------------------------------


@dataclass
class Builder:
    """Paths from a holder to one of ``anchors`` through ``pool`` (intermediates, untrusted)."""

    anchors: list[x509.Certificate]
    pool: list[x509.Certificate]
    dead_ends: list[tuple[int, CertificateError]] = field(default_factory=list)
    links: int = 0

    def paths(self, holder: x509.Certificate) -> Iterator[list[x509.Certificate]]:
        yield from self._extend([holder])

    def _extend(self, path: list[x509.Certificate]) -> Iterator[list[x509.Certificate]]:
        current = path[-1]
        if len(path) > 1 and self_issued(current):
            self._dead(path, f"the chain ends at {role(path, len(path) - 1, anchored=False)[0]}, a self-signed CA "
                             "that is not on the trust list", f"证书链止于自签名的 {cn(current)}，该 CA 不在信任列表中")
            return
        found = [c for c in [*self.anchors, *self.pool] if c.subject == current.issuer]
        if not found:
            issuer = current.issuer.rfc4514_string()
            self._dead(path, f"the issuer {issuer!r} of {role(path, len(path) - 1, anchored=False)[0]} is neither on "
                             "the trust list nor in the chain", f"{cn(current)} 的签发者 {issuer} 既不在信任列表中，也不在证书链中")
        for ca in found:
            yield from self._through(path, ca)

    def _through(self, path: list[x509.Certificate], ca: x509.Certificate) -> Iterator[list[x509.Certificate]]:
        self.links += 1
        problem = link_problem(path, ca) if self.links <= MAX_LINKS else (
            f"the path search gave up after {MAX_LINKS} candidate issuers", f"路径搜索在检查 {MAX_LINKS} 个候选签发者后终止")
        if problem is not None:
            self._dead(path, *problem)
        elif any(ca is anchor for anchor in self.anchors):
            yield [*path, ca]
        elif len(path) > MAX_INTERMEDIATES:
            self._dead(path, f"the chain has more than {MAX_INTERMEDIATES} intermediate CAs",
                       f"证书链中的中级 CA 超过 {MAX_INTERMEDIATES} 个")
        else:
            yield from self._extend([*path, ca])

    def _dead(self, path: list[x509.Certificate], en: str, zh: str) -> None:
        holder = cn(path[0])
        self.dead_ends.append((len(path), refused(
            f"the certificate {holder!r} does not chain to a trusted CA: {en}",
            f"证书 {holder} 无法链接到受信任的 CA：{zh}")))

    def failure(self, holder: x509.Certificate) -> CertificateError:
        """The reason of the deepest dead end (the one that came closest to an anchor)."""
        if not self.dead_ends:
            return refused(f"the certificate {cn(holder)!r} does not chain to a trusted CA",
                           f"证书 {cn(holder)} 不是受信任的 CA 签发的")
        return max(self.dead_ends, key=lambda d: d[0])[1]


def link_problem(path: list[x509.Certificate], ca: x509.Certificate) -> tuple[str, str] | None:
    """Why ``ca`` cannot be the issuer of the last certificate of ``path`` (None: it can)."""
    below = role(path, len(path) - 1, anchored=False)
    if any(certs.same_ca(ca, seen) for seen in path):  # the same name and key twice: a loop, even in another copy
        return (f"chain loop: {cn(ca)!r} would issue {below[0]} and appears below it already",
                f"证书链成环：{cn(ca)} 在链中重复出现")
    ski, aki = certs.key_ids(ca)[0], certs.key_ids(path[-1])[1]
    if ski is not None and aki is not None and ski != aki:
        return (f"the authorityKeyIdentifier {aki.hex()} of {below[0]} does not match the subjectKeyIdentifier "
                f"{ski.hex()} of {cn(ca)!r}", f"{below[1]} 的颁发机构密钥标识符与 {cn(ca)} 的主体密钥标识符不一致")
    if not certs.issued_by(path[-1], ca):
        return (f"the signature of {below[0]} does not verify with the key of {cn(ca)!r}",
                f"{below[1]} 的签名无法用 {cn(ca)} 的公钥验证")
    return None


# ---- checking ------------------------------------------------------------------------------


def check(path: list[x509.Certificate], at: datetime, checked_at: datetime, revocations: Revocations) -> list[str]:
    """Refuse the path at ``at`` (CRLs current at ``checked_at`` too), from the anchor down; the
    revocations dated after ``at`` (which do not refuse it) are returned, described."""
    later: list[str] = []
    for i in range(len(path) - 1, -1, -1):
        check_period(path, i, at)
        check_extensions(path, i)
        if i > 0:
            check_issuer(path, i)
        if i < len(path) - 1 and (current := revocations(path[i + 1])) is not None:
            note = current.check(path[i].serial_number, cn(path[i]), at, checked_at)
            later += [note] if note else []
    return later


def check_period(path: list[x509.Certificate], i: int, at: datetime) -> None:
    at, cert = as_utc(at), path[i]
    what = "signer" if i == 0 else ("CA" if i == len(path) - 1 else "intermediate CA")
    name = f" {cn(cert)!r}" if len(path) > 2 else ""
    if at < cert.not_valid_before_utc:
        raise refused(f"the {what} certificate{name} is not valid yet", f"证书 {cn(cert)} 尚未生效")
    if at > cert.not_valid_after_utc:
        raise refused(f"the {what} certificate{name} has expired", f"证书 {cn(cert)} 已过期")


def check_extensions(path: list[x509.Certificate], i: int) -> None:
    for ext in path[i].extensions:
        if ext.critical and ext.oid not in PROCESSED:
            en, zh = role(path, i)
            raise refused(f"the {en} has a critical extension this platform does not process ({ext.oid.dotted_string})",
                          f"{zh} 含有本平台不处理的关键扩展（{ext.oid.dotted_string}）")


def check_issuer(path: list[x509.Certificate], i: int) -> None:
    """The ``i``-th certificate issued the one below it: a CA allowed to, at this depth."""
    ca, (en, zh) = path[i], role(path, i)
    constraints, usage = certs.basic_constraints(ca), certs.key_usage(ca)
    if constraints is None or not constraints.ca:
        raise refused(f"the {en} is not a CA (basicConstraints CA=TRUE missing) but issued {cn(path[i - 1])!r}",
                      f"{zh} 不是 CA 证书（无 basicConstraints CA=TRUE），却签发了 {cn(path[i - 1])}")
    if usage is not None and not usage.key_cert_sign:
        raise refused(f"the {en} may not sign certificates (keyUsage without keyCertSign)",
                      f"{zh} 的密钥用法不允许签发证书（无 keyCertSign）")
    below = sum(1 for c in path[1:i] if not self_issued(c))
    if constraints.path_length is not None and below > constraints.path_length:
        raise refused(f"the {en} allows {constraints.path_length} intermediate CA(s) below it (pathLenConstraint), "
                      f"the chain has {below}", f"{zh} 的路径长度约束为 {constraints.path_length}，证书链中其下有 {below} 个中级 CA")


def validate(holder: x509.Certificate, anchors: list[x509.Certificate], pool: list[x509.Certificate],
             at: datetime, checked_at: datetime, revocations: Revocations) -> tuple[list[x509.Certificate], list[str]]:
    """The first path from ``holder`` to an anchor that passes ``check`` and its later
    revocations; else the reason."""
    builder, first_error = Builder(anchors, pool), None
    for n, path in enumerate(builder.paths(holder)):
        try:
            return path, check(path, at, checked_at, revocations)
        except CertificateError as error:
            first_error = first_error or error
        if n + 1 >= MAX_PATHS:
            break
    raise first_error or builder.failure(holder)


def pool_of(anchors: list[x509.Certificate], *groups: list[x509.Certificate]) -> list[x509.Certificate]:
    """Intermediates from several sources, each once, none of them an anchor."""
    out: list[x509.Certificate] = []
    for cert in (c for group in groups for c in group):
        if not any(cert == a for a in anchors) and not any(cert == c for c in out):
            out.append(cert)
    return out


def crl_check(known: list[crl.RevocationList], pending: list[x509.CertificateRevocationList]) -> Revocations:
    return lambda ca: crl.of_path_ca(known, pending, ca)
