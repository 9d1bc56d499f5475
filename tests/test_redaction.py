"""Secrets leave no trace in text: signed-URL parameters of every kind, and a registered
secret in any of its encodings (percent, JSON, base64 of text holding it)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reportbridge.logging as rblog
from reportbridge.logging import REDACTED, redact_text, redact_value, register_secret
from reportbridge.provider import Provider

SIGNED = [
    # (text, secret values that must vanish)
    ("https://b.s3.amazonaws.com/f?X-Amz-Signature=5ec12e7&X-Amz-Credential=AKIA99", ["5ec12e7"]),
    (
        "https://d111.cloudfront.net/f.csv?Expires=1700000000&Policy=eyJTdGF0ZW1lbnQi"
        "&Signature=Qx7vBn~kk9&Key-Pair-Id=K2JCJMDEHXQW5F",
        ["eyJTdGF0ZW1lbnQi", "Qx7vBn~kk9", "K2JCJMDEHXQW5F"],
    ),
    (
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4&X-Goog-Credential=sa%40p"
        "&X-Goog-Signature=9f8e7d6c5b",
        ["9f8e7d6c5b", "sa%40p"],
    ),
    (
        "https://acct.blob.core.windows.net/c/f.csv?sv=2021-08-06&se=2030-01-01&sp=r&sig=Zm9vYmFy%3D",
        ["Zm9vYmFy%3D"],
    ),
    ("https://cdn.example.com/r.csv?auth_key=1700000000-0-0-77ab12cd", ["77ab12cd"]),
    ("https://cdn.example.com/r.csv?hmac=ab12cd34ef", ["ab12cd34ef"]),
    ("https://cdn.example.com/r.csv?token=t0k3nv4lue&x=1", ["t0k3nv4lue"]),
    ("https://cdn.example.com/r.csv?access_token=at-998877", ["at-998877"]),
    ("https://cdn.example.com/r.csv#access_token=frag-998877&state=1", ["frag-998877"]),
    ("https://cdn.example.com/r.csv?hdnts=exp%3D1~acl%3D*~hmac%3Dabcd", ["exp%3D1~acl%3D"]),
    ("Location: /_s3/report.csv?X-Amz-Signature=rel4tive99", ["rel4tive99"]),
    ("refused (HTTP 403) for ?a=1;sig=semi0colon", ["semi0colon"]),
    ("grant_type=client_credentials&client_secret=form5ecret", ["form5ecret"]),
    ("https://alice:pa55w0rd@host.example.com/x", ["pa55w0rd"]),
]


@pytest.mark.parametrize(("text", "secrets"), SIGNED)
def test_signed_url_parameters_are_redacted(text: str, secrets: list[str]) -> None:
    out = redact_text(text)
    for secret in secrets:
        assert secret not in out, out
    assert REDACTED in out or "@" not in out


def test_harmless_parameters_stay_readable() -> None:
    text = "https://api.example.com/data/reports/calls/jobs?page=2&per_page=50"
    assert redact_text(text) == text


def test_a_provider_declares_its_own_secret_parameters() -> None:
    text = "https://files.vendor.example/f.csv?X-Vendor-Proof=proof0value1&page=1"
    assert "proof0value1" in redact_text(text)

    class VendorProvider(Provider):
        name = "vendor-with-own-signature"
        secret_query_params: ClassVar[tuple[str, ...]] = ("X-Vendor-Proof",)

        def capabilities(self) -> Any:
            raise NotImplementedError

        def connect(self, ctx: Any) -> Any:
            raise NotImplementedError

    out = redact_text(text)
    assert "proof0value1" not in out and "page=1" in out
    assert redact_value("url", text) == out
    assert VendorProvider.secret_query_params


def test_register_secret_param_by_function() -> None:
    rblog.register_secret_param("X-Other-Proof")
    assert "zz11yy22" not in redact_text("/f?x-other-proof=zz11yy22")


# -- a registered secret, in every encoding ------------------------------------------------
@contextlib.contextmanager
def registered(secret: str) -> Iterator[None]:
    """Register ``secret`` for one example only (the registry is process-wide)."""
    with rblog._secrets_lock:
        saved = set(rblog._known_secrets)
    register_secret(secret)
    try:
        yield
    finally:
        with rblog._secrets_lock:
            rblog._known_secrets.clear()
            rblog._known_secrets.update(saved)
            rblog._secrets_pattern = None


def base64_recovers(text: str, secret: bytes) -> bool:
    """Whether base64-decoding any run of ``text``, at any offset, yields ``secret``."""
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text):
        std = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            piece = std[offset:]
            piece = piece[: len(piece) - len(piece) % 4]
            with contextlib.suppress(binascii.Error, ValueError):
                if secret in base64.b64decode(piece):
                    return True
    return False


secrets = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8, max_size=32
).filter(lambda s: s.strip() == s and len(s) >= 8 and s not in REDACTED)
around = st.text(max_size=20)


def encodings(prefix: str, secret: str, suffix: str) -> dict[str, str]:
    whole = prefix + secret + suffix
    raw = whole.encode()
    pair = f"{quote(prefix, safe='')}:{quote(secret, safe='')}".encode()
    return {
        "raw": whole,
        "percent": quote(whole, safe=""),
        "percent-path": quote(whole),
        "percent-plus": quote_plus(whole),
        "percent-lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(whole)),
        "json": json.dumps(whole),
        "base64": base64.b64encode(raw).decode(),
        "base64-unpadded": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "basic-pair": base64.b64encode(pair).decode(),
    }


@settings(max_examples=150, deadline=None)
@given(secret=secrets, prefix=around, suffix=around, context=around)
def test_a_registered_secret_never_survives_in_any_encoding(
    secret: str, prefix: str, suffix: str, context: str
) -> None:
    with registered(secret):
        for kind, encoded in encodings(prefix, secret, suffix).items():
            out = redact_text(f"{context} {encoded} {context}")
            assert secret not in out, kind
            assert secret not in unquote(out) and secret not in unquote_plus(out), kind
            assert json.dumps(secret)[1:-1] not in out, kind
            assert not base64_recovers(out, secret.encode()), kind
            assert not base64_recovers(out, quote(secret, safe="").encode()), kind


def test_basic_credentials_without_the_prefix_are_redacted() -> None:
    secret = "sim-secret-7f3a9c21"
    header = base64.b64encode(f"sim-client-0001:{secret}".encode()).decode()
    with registered(secret):
        out = redact_text(f"token endpoint echoed credentials {header}")
    assert header not in out and REDACTED in out


def test_short_secrets_are_matched_as_written_only() -> None:
    # Encoded forms of very short secrets would match unrelated text by chance.
    with registered("abcd"):
        assert redact_text("abcd") == REDACTED
        assert redact_text("YWJjZA") == "YWJjZA"
