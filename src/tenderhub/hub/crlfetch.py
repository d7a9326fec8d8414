"""Fetching a CRL over HTTP from a distribution point (RFC 5280 §4.2.1.13), bounded.

``download(url, limits)`` returns the body or raises ``Invalid`` (field ``url``, code
``crl_fetch_refused``) saying why: only ``http`` and ``https`` (never ``file:``, ``ldap:``, …),
a redirect is followed only to another http(s) URL and at most ``limits.redirects`` times, the
whole download (connect, headers, body) must end within ``limits.timeout`` seconds and the body
must not exceed ``limits.max_bytes`` (checked on ``Content-Length`` and again while reading, so
a server that lies or trickles is cut off). What the body is (DER or PEM, whose CRL) is judged
by the caller (``crlpull.py``) with the checks of a pushed CRL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from tenderhub.core.shared.errors import Invalid
from tenderhub.crypto import certs
from tenderhub.crypto.errors import CryptoError

CODE = "crl_fetch_refused"


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # seconds for the whole download, redirects included
    max_bytes: int = 10 * 1024 * 1024  # a CRL larger than this is refused (a large CA's CRL is a few MB)
    redirects: int = 3


def refused(url: str, en: str, zh: str) -> Invalid:
    return Invalid(f"url: {url}: {en}", message_zh=f"url：{url}：{zh}", field="url", code=CODE)


def check_scheme(url: str) -> str:
    """The same rule as a distribution point a certificate may name (``certs.crl_url``)."""
    try:
        return certs.crl_url(url, "url")
    except CryptoError:
        raise refused(url, "only http and https URLs with a host are fetched (RFC 5280 §4.2.1.13)",
                      "只获取含主机名的 http 或 https 地址") from None


def download(url: str, limits: Limits = Limits()) -> bytes:
    """The body found at ``url`` (status 200), within ``limits``."""
    deadline = time.monotonic() + limits.timeout
    try:
        with httpx.Client(follow_redirects=False, timeout=limits.timeout) as client:
            return _follow(client, url, limits, deadline)
    except httpx.TimeoutException:
        raise refused(url, f"no complete answer within {limits.timeout:g} s (timeout)", f"{limits.timeout:g} 秒内未获取完毕（超时）") from None
    except httpx.HTTPError as error:
        raise refused(url, f"could not be fetched ({type(error).__name__}: {error})", f"无法获取（{type(error).__name__}）") from None


def _follow(client: httpx.Client, url: str, limits: Limits, deadline: float) -> bytes:
    current = check_scheme(url)
    for _ in range(limits.redirects + 1):
        with client.stream("GET", current, timeout=max(deadline - time.monotonic(), 0.001)) as response:
            if not response.is_redirect:
                return _body(url, response, limits, deadline)
            location = response.headers.get("location", "")
        current = check_scheme(urljoin(current, location))
    raise refused(url, f"more than {limits.redirects} redirects", f"重定向超过 {limits.redirects} 次")


def _body(url: str, response: httpx.Response, limits: Limits, deadline: float) -> bytes:
    if response.status_code != 200:
        raise refused(url, f"the server answered HTTP {response.status_code}", f"服务器返回 HTTP {response.status_code}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise too_large(url, limits)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limits.max_bytes:
            raise too_large(url, limits)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the whole download took too long")
    return bytes(body)


def too_large(url: str, limits: Limits) -> Invalid:
    return refused(url, f"the CRL is larger than {limits.max_bytes} bytes (the limit)", f"吊销列表超过 {limits.max_bytes} 字节的上限")
