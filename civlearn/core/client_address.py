"""The address a request came from, behind any number of trusted reverse proxies.

`settings.TRUSTED_PROXIES` lists the proxies' addresses or networks (CIDR). A forwarded header is read only when the
connection comes from one of them, and then from the right: each trusted hop appended the address it saw, so the
rightmost address that is not a trusted proxy is the client (anything left of it was written by the client and may
be forged). With no trusted proxies the connection's own address (REMOTE_ADDR) is the client.

Every place that records or limits by address (sign-in throttles, audit events, admin actions, 登入資訊) calls
`client_address` (re-exported as `core.services.client_ip`).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def parse_networks(values: list[str]) -> list[Network]:
    """The trusted proxies as networks; a bad entry raises ValueError naming it (settings fail loudly on it)."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {value!r} is not an IP address or network") from None
    return networks


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [IPv6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen over an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, networks: list[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(request) -> str | None:
    """The client's address as text, or None when the request carries none."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    networks = parse_networks(getattr(settings, "TRUSTED_PROXIES", []) or [])
    if not networks or not _trusted(remote, networks):
        return str(remote)
    hops = [h for h in (request.META.get(FORWARDED_HEADER) or "").split(",") if h.strip()]
    nearest = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not an address: nothing to its left can be trusted either; the last proxy is all that is known.
            return str(nearest)
        if not _trusted(address, networks):
            return str(address)
        nearest = address
    # Every hop is a trusted proxy (a request from the proxies themselves).
    return str(nearest)
