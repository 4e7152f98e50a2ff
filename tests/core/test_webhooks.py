"""Saying how a Skyvern server will treat a webhook address."""

from __future__ import annotations

import pytest

from skyvern_desktop.core.runs.webhooks import Level, Where, check_webhook, is_cloud, where

CLOUD = "https://api.skyvern.com"
LOCAL = "http://127.0.0.1:8000"
REMOTE = "https://skyvern.example.com"


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("hooks.example.com", Where.PUBLIC),
        ("8.8.8.8", Where.PUBLIC),
        ("localhost", Where.LOOPBACK),
        ("api.localhost", Where.LOOPBACK),
        ("127.0.0.5", Where.LOOPBACK),
        ("[::1]", Where.LOOPBACK),
        ("::ffff:127.0.0.1", Where.LOOPBACK),
        ("10.1.2.3", Where.PRIVATE),
        ("192.168.0.10", Where.PRIVATE),
        ("172.20.0.1", Where.PRIVATE),
        ("100.64.1.1", Where.PRIVATE),
        ("169.254.169.254", Where.LINK_LOCAL),
        ("printer.local", Where.INTERNAL),
        ("api.svc", Where.INTERNAL),
        ("intranet", Where.INTERNAL),
    ],
)
def test_where_an_address_points(host: str, kind: Where) -> None:
    assert where(host) is kind


def test_bad_addresses_are_errors_in_plain_words() -> None:
    for url in ("hooks.example.com/x", "ftp://example.com/x", "https://", "http://x:99999/"):
        verdict = check_webhook(url, server_url=REMOTE)
        assert verdict.level is Level.ERROR and not verdict.ok
        assert "https://" in verdict.text
    assert check_webhook("  ", server_url=REMOTE).level is None


def test_the_cloud_refuses_private_and_loopback_addresses() -> None:
    assert is_cloud(CLOUD) and not is_cloud(LOCAL) and not is_cloud("https://notskyvern.com")
    for url in ("http://localhost:9000/h", "http://10.0.0.2/h", "http://169.254.169.254/"):
        verdict = check_webhook(url, server_url=CLOUD)
        assert verdict.level is Level.ERROR
        assert "Skyvern Cloud refuses" in verdict.text
    assert check_webhook("https://hooks.example.com/h", server_url=CLOUD).level is None


def test_a_self_hosted_server_is_told_about_its_url_validation() -> None:
    verdict = check_webhook("http://127.0.0.1:9000/h", server_url=LOCAL)
    assert verdict.level is Level.NOTE and verdict.ok
    assert "ALLOWED_HOSTS" in verdict.text
    remote = check_webhook("http://localhost:9000/h", server_url=REMOTE)
    assert remote.level is Level.WARNING and remote.ok
    assert "skyvern.example.com" in remote.text and "not this one" in remote.text


def test_load_balancer_names_are_refused_and_http_gets_a_note() -> None:
    elb = check_webhook("https://my-lb-123.us-east-1.elb.amazonaws.com/h", server_url=REMOTE)
    assert elb.level is Level.ERROR
    assert check_webhook("https://bucket.s3.amazonaws.com/h", server_url=REMOTE).ok
    plain = check_webhook("http://hooks.example.com/h", server_url=REMOTE)
    assert plain.level is Level.NOTE and "unencrypted" in plain.text
