"""機關組織 (eCPA header link): search agencies by name or code, browse the tree of parent and sub-agencies.
Public, like the government's own agency directory: names and codes only, nobody's personal data."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from civlearn.registry import selectors
from civlearn.registry.models import Agency

QUERY_MAX = 100


@require_GET
def directory(request):
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    context = {
        "query": query,
        "results": selectors.agency_search(query) if query else None,
        "children": selectors.agency_children(None),
    }
    return render(request, "registry/directory.html", context)


@require_GET
def agency_detail(request, code: str):
    agency = get_object_or_404(Agency, code=code)
    context = {"agency": agency, "path": selectors.agency_path(agency), "children": selectors.agency_children(agency)}
    return render(request, "registry/directory_agency.html", context)
