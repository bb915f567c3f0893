"""Member terms (會員規範) and the consent to send learning hours to the three outside systems.

The wording is this project's own; it covers the subjects of the nine clauses the manual shows. A change of
wording gets a new TERMS_VERSION, and every learner is asked again on the next visit."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civlearn.core.generations import cache_forget
from civlearn.core.services import audit_record
from civlearn.learning.models import MemberConsent

TERMS_VERSION = "2026.1"

TERMS_CLAUSES = [
    _("在本平臺之討論區、論壇或作業中，不發表或傳送毀謗、不實、猥褻、違法或侵害他人智慧財產權之文字、圖片或檔案。"),
    _("不以超連結或其他方式提供未經授權之音樂、影片、圖片或軟體之下載。"),
    _("轉載他人文章或圖片時註明出處，必要時先取得原作者同意；經權利人申訴並查證屬實者，本平臺得刪除該內容。"),
    _("尊重他人權益與隱私，不於公開區域討論他人私人事務或公開他人個人資料。"),
    _("不於本平臺從事廣告、推銷或販賣商品等商業行為。"),
    _("遵守中華民國法令及網際網路使用慣例；會員違反法令者，自負法律責任。"),
    _("會員違反本規範或法令時，本平臺得暫停或終止其會員資格及各項服務。"),
    _(
        "會員之個人資料僅於提供學習服務、學習時數認證、統計與學習研究之必要範圍內使用；除依法令配合調查外，"
        "不出售、交換或出租予其他機關、團體或個人。"
    ),
    _("本平臺得修改本規範，修改時於首頁公告並於會員下次進入時請其重新確認。"),
]

HOURS_DESTINATIONS = [_("公務人員終身學習入口網站"), _("環境教育終身學習網"), _("全國教師在職進修資訊網")]

REFUSAL_CONSEQUENCE = _(
    "不同意時，您仍可使用本平臺選課與學習，並取得完成證書；但本平臺不會將您的學習時數上傳"
    "公務人員終身學習入口網站、環境教育終身學習網或全國教師在職進修資訊網，這些時數不會列入您的年度學習時數，"
    "須自行向服務機關人事單位申請登錄。您可隨時於「會員規範與時數上傳」頁改變決定。"
)


def consent_current(*, user) -> MemberConsent | None:
    """The learner's decision on the current terms version, or None when they must be asked (again)."""
    latest = MemberConsent.objects.filter(user=user).order_by("-decided_at", "-pk").first()
    if latest is None or latest.terms_version != TERMS_VERSION:
        return None
    return latest


def _member_key(user_id: int) -> str:
    return f"learning:member:{TERMS_VERSION}:{user_id}"


def is_member(*, user) -> bool:
    """Whether the learner has decided on the current terms (同意 or 不同意 to sending hours: either makes them a
    member). Asked by every e等公務園+ page, so a yes is kept in the shared cache: it can only stay yes for this
    TERMS_VERSION (a later decision is on the same version; a new version is another key), so no write can make it
    stale — but deleting the learner's decisions (the admin) removes it (`consent_forget`)."""
    key = _member_key(user.pk)
    if cache.get(key):
        return True
    if consent_current(user=user) is None:
        return False
    cache.set(key, True, 24 * 3600)
    return True


def consent_forget(sender, instance, **kwargs) -> None:
    """post_delete of a MemberConsent: the learner may no longer be a member; ask the database next time."""
    cache_forget(_member_key(instance.user_id))


def consent_record(*, user, share_hours: bool, ip_address: str | None = None) -> MemberConsent:
    """Accept the current member terms and record whether hours may be sent to the outside systems.

    Accepting the terms is the condition of membership; `share_hours` is the separate choice (同意 / 不同意).
    When the learner now agrees, completions not yet sent are posted at once."""
    previous = consent_current(user=user)
    with transaction.atomic():
        decision = MemberConsent.objects.create(
            user=user, terms_version=TERMS_VERSION, share_hours=share_hours, ip_address=ip_address
        )
        audit_record(
            actor=user,
            action="learning.consent",
            subject=decision,
            changes={
                "terms_version": [previous.terms_version if previous else None, TERMS_VERSION],
                "share_hours": [previous.share_hours if previous else None, share_hours],
            },
            ip_address=ip_address,
        )
    if share_hours:
        # Imported here: completion imports this module for consent_current.
        from civlearn.learning.completion.services import hours_post_outstanding

        hours_post_outstanding(user=user)
    return decision
