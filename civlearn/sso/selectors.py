"""Reads other pages rely on: the connected systems (連結系統) in the manual's two groups."""

from __future__ import annotations

from civlearn.sso.models import RelyingParty


def connected_systems_grouped() -> list[tuple[str, list[RelyingParty]]]:
    """The listed systems as [(group, systems)] in the manual's order — 人事總處系統, then 非人事總處機關及系統 —
    each group by its operator-set order; a group with no system is left out."""
    groups: dict[str, list[RelyingParty]] = {group: [] for group, _ in RelyingParty.GROUP_CHOICES}
    for rp in RelyingParty.objects.filter(listed=True).select_related("application").order_by("order", "id"):
        groups.setdefault(rp.group, []).append(rp)
    return [(group, systems) for group, systems in groups.items() if systems]
