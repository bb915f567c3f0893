"""個人資料: the learner's profile — issue the platform ID once, update the editable fields, set a photo."""

from __future__ import annotations

import io
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from civlearn.core import clock
from civlearn.core.services import audit_record
from civlearn.learning.models import MemberProfile

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 256
# Decoding needs about 4 bytes a pixel: 40 million pixels (e.g. 6000 × 6000) is the most a photo may have.
PHOTO_MAX_PIXELS = 40_000_000
TOO_LARGE = gettext_lazy("個人照片：圖片尺寸過大（最多 4,000 萬像素，例如 6000 × 6000），請縮小後再上傳")
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
EDITABLE_FIELDS = (
    "nickname",
    "contact_email",
    "newsletter",
    "backup_email",
    "website",
    "bio",
    "show_on_card",
    "show_hours_on_signin",
    "teacher_network",
    "part_time_code",
    "avatar",
)


class ProfileError(ValueError):
    """The message names the field and is shown as is."""


def _new_platform_id() -> str:
    # "T" and ten random digits: stable once stored, and guessing one tells nothing about the person.
    return f"T{secrets.randbelow(10**10):010d}"


def profile_get_or_create(*, user) -> MemberProfile:
    """The learner's profile, created on first use with a new platform ID (a letter and ten digits)."""
    existing = MemberProfile.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                profile = MemberProfile.objects.create(
                    user=user, platform_id=_new_platform_id(), contact_email=user.email or ""
                )
                audit_record(
                    actor=user,
                    action="learning.profile_created",
                    subject=profile,
                    changes={"platform_id": [None, profile.platform_id]},
                )
                return profile
        except IntegrityError:
            # Either another request created this user's profile, or the random ID was taken: look, then retry.
            existing = MemberProfile.objects.filter(user=user).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not issue a unique platform ID")


def profile_update(*, user, actor, values: dict) -> MemberProfile:
    """Save the editable fields of 個人資料 (only those in EDITABLE_FIELDS); audited with old and new values.

    Only the learner edits their own profile."""
    if actor.pk != user.pk:
        raise ProfileError(_("只能修改自己的個人資料"))
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ProfileError(_("不能修改的欄位：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if not (values.get("contact_email") or "").strip():
        raise ProfileError(_("電子郵件：請填寫電子郵件"))
    profile = profile_get_or_create(user=user)
    with transaction.atomic():
        profile = MemberProfile.objects.select_for_update().get(pk=profile.pk)
        changes = {}
        for field, new in values.items():
            old = getattr(profile, field)
            if old != new:
                changes[field] = [old, new]
                setattr(profile, field, new)
        if changes:
            profile.updated_at = clock.now()
            profile.save()
            audit_record(actor=actor, action="learning.profile_updated", subject=profile, changes=changes)
    return profile


def photo_png(upload) -> bytes:
    """Check an uploaded picture and re-encode it as a PNG of at most 256 × 256, dropping any metadata.

    Raises ProfileError naming 個人照片 for anything too large or not a picture."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ProfileError(_("個人照片：檔案不可超過 2 MB"))
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise ProfileError(_("個人照片：請上傳 JPEG、PNG、GIF 或 WebP 圖片"))
            probe.verify()
        # verify() leaves the image unusable: open again to decode it fully.
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise ProfileError(TOO_LARGE)
            image = image.convert("RGBA")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
    except ProfileError:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow refuses, at open, images far beyond its pixel limit (a 20000 × 20000 PNG of a few bytes): that is
        # a picture too large, not one that cannot be read.
        raise ProfileError(TOO_LARGE) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ProfileError(_("個人照片：無法辨識的圖片檔")) from exc
    return out.getvalue()


def photo_set(*, user, actor, upload) -> MemberProfile:
    """Replace the learner's photo with a checked, re-encoded copy of `upload`."""
    if actor.pk != user.pk:
        raise ProfileError(_("只能修改自己的個人資料"))
    png = photo_png(upload)
    profile = profile_get_or_create(user=user)
    with transaction.atomic():
        had = MemberProfile.objects.filter(pk=profile.pk, photo_png__isnull=False).exists()
        MemberProfile.objects.filter(pk=profile.pk).update(photo_png=png, avatar="", updated_at=clock.now())
        audit_record(
            actor=actor,
            action="learning.profile_photo_set",
            subject=profile,
            changes={"photo": ["有" if had else None, f"{len(png)} bytes PNG"]},
        )
    profile.refresh_from_db()
    return profile


def photo_remove(*, user, actor) -> None:
    if actor.pk != user.pk:
        raise ProfileError(_("只能修改自己的個人資料"))
    profile = profile_get_or_create(user=user)
    with transaction.atomic():
        if MemberProfile.objects.filter(pk=profile.pk, photo_png__isnull=False).update(photo_png=None):
            audit_record(actor=actor, action="learning.profile_photo_removed", subject=profile, changes={})
