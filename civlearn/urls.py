from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from civlearn.core import views as core_views
from civlearn.sso import views as sso_views

# The admin's own names, in the operator's language (Django's default reads 「Django 管理」).
admin.site.site_header = _("civlearn 管理介面")
admin.site.site_title = _("civlearn 管理介面")
admin.site.index_title = _("網站管理")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("civlearn.content.urls")),
    path("ecpa/agencies/", include("civlearn.registry.urls_directory")),
    path("ecpa/", include("civlearn.identity.urls")),
    path("ecpa/", include("civlearn.sso.urls")),
    path("registry/", include("civlearn.registry.urls")),
    path("lifelong/", include("civlearn.hours.urls")),
    path("elearn/", include("civlearn.learning.scorm.urls")),
    path("elearn/", include("civlearn.learning.urls")),
    path("api/v1/", include("civlearn.api_urls")),
    # The OIDC provider: only what clients need, under the names DOT's own views reverse.
    path("o/", include((sso_views.protocol_urlpatterns, "oauth2_provider"))),
]

handler400 = "civlearn.core.errors.bad_request"
handler403 = "civlearn.core.errors.permission_denied"
handler404 = "civlearn.core.errors.page_not_found"
handler500 = "civlearn.core.errors.server_error"

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
