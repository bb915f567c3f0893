"""The client's address behind trusted reverse proxies: X-Forwarded-For is read only from them, from the right."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from civlearn.core.client_address import client_address, parse_networks


def _request(remote: str, forwarded: str | None = None):
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # no trusted proxy: the header is ignored, whoever sends it
        ([], "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        # from an untrusted address the header is the client's own words: ignored
        (["10.0.0.1"], "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        # one trusted proxy: the address it appended
        (["10.0.0.1"], "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        # a client that forges a header: the proxy appended the real address at the right
        (["10.0.0.1"], "10.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # two trusted hops (a network of proxies): the rightmost address that is not one of them
        (["10.0.0.0/8"], "10.0.0.1", "1.2.3.4, 198.51.100.1, 10.2.3.4", "198.51.100.1"),
        # only proxies: the leftmost proxy is as far as the chain is known
        (["10.0.0.0/8"], "10.0.0.1", "10.9.9.9", "10.9.9.9"),
        # a trusted proxy but no header: the proxy itself
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        # junk to the right of the client: the last proxy is all that is known
        (["10.0.0.1"], "10.0.0.1", "198.51.100.1, unknown", "10.0.0.1"),
        # ports and IPv6 forms a proxy may write
        (["10.0.0.1"], "10.0.0.1", "198.51.100.1:5123", "198.51.100.1"),
        (["::1"], "::1", "[2001:db8::7]:443", "2001:db8::7"),
        (["10.0.0.1"], "::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(_request(remote, forwarded)) == expected


def test_no_remote_address_is_none(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("")) is None


def test_a_bad_proxy_entry_names_itself():
    with pytest.raises(ValueError) as refused:
        parse_networks(["10.0.0.1", "proxy.example"])
    assert str(refused.value) == "TRUSTED_PROXIES: 'proxy.example' is not an IP address or network"
