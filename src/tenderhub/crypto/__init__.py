"""Cryptography for sealed bids, signatures and certificates (DESIGN §4, docs/crypto.md).

Two suites (``tenderhub.crypto.suites``): ``intl`` (P-256, SHA-256, AES-256-GCM) and ``gm``
(SM2, SM3, SM4). ``cryptography`` does hashing, symmetric encryption and X.509; SM2 comes from
``gmssl_pyx`` (GmSSL 3), wrapped in ``tenderhub.crypto.sm2``.
"""
