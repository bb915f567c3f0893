"""Reads other pages rely on: the connected systems (連結系統) in the manual's two groups, and where one leads."""

from __future__ import annotations

from django.core.cache import cache

from civlearn.core.generations import generation
from civlearn.sso import oidc
from civlearn.sso.models import RelyingParty


def connected_systems_grouped() -> list[tuple[str, list[RelyingParty]]]:
    """The listed systems as [(group, systems)] in the manual's order — 人事總處系統, then 非人事總處機關及系統 —
    each group by its operator-set order; a group with no system is left out."""
    groups: dict[str, list[RelyingParty]] = {group: [] for group, _ in RelyingParty.GROUP_CHOICES}
    for rp in RelyingParty.objects.filter(listed=True).select_related("application").order_by("order", "id"):
        groups.setdefault(rp.group, []).append(rp)
    return [(group, systems) for group, systems in groups.items() if systems]


def connected_system_entry_url(pk: int) -> str:
    """Where 連結系統's system `pk` is entered: its entry address, or "" when it has none or is not listed (or no such
    system). Every sign-in storm's SSO into e等公務園+ asks, so a found address is kept in the shared cache under the
    clients' generation stamp (sso.oidc: every save or delete of a client or of its relying-party settings replaces
    it), read in one round trip with the stamp; an address read just before a change commits is stored under the
    stamp the change replaces, so it is never read."""
    key = f"sso:entry-url:v1:{pk}"
    found = cache.get_many([oidc.CLIENT_GENERATION_KEY, key])
    stamp, entry = found.get(oidc.CLIENT_GENERATION_KEY), found.get(key)
    if stamp is not None and entry is not None and entry[0] == stamp:
        return entry[1]
    stamp = stamp or generation(oidc.CLIENT_GENERATION_KEY)
    url = RelyingParty.objects.filter(pk=pk, listed=True).values_list("entry_url", flat=True).first() or ""
    if url:  # unknown or unlisted numbers are not remembered
        cache.set(key, (stamp, url), oidc.CLIENT_CACHE_SECONDS)
    return url
