"""Writes of the 學習機關(構)專區: apply, resubmit, review, members. Each is audited in its own transaction and
checks its own permission; e-mails to the applicant go out after the commit."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from civlearn.core import clock
from civlearn.core.mail import mail_send
from civlearn.core.services import audit_record
from civlearn.core.spreadsheets import looks_like_formula
from civlearn.core.text import search_fold
from civlearn.hours import batch
from civlearn.hours.institutions import selectors
from civlearn.hours.models import Institution, InstitutionMember, mode_labels
from civlearn.identity import invitations as identity_invitations
from civlearn.identity import selectors as identity_selectors
from civlearn.registry import services as registry_services

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Supporting documents: PDF or a scan. Judged by the file's first bytes, not by its name.
DOCUMENT_SIGNATURES = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}

APPROVE = "approve"
CHANGES = "changes"
REFUSE = "refuse"


def _notice(subject: str, body: str, recipient: str) -> None:
    """One notice e-mail (text and HTML parts) through the platform's one mail path."""
    mail_send(template="hours/mail/notice", subject=subject, to=[recipient], context={"body": body})


def _text(data: dict, key: str, label: str, limit: int, errors: dict, *, required: bool = True) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        errors.setdefault(key, []).append(f"請輸入{label}")
    elif len(value) > limit:
        errors.setdefault(key, []).append(f"{label}最多 {limit} 字")
    elif looks_like_formula(value):
        errors.setdefault(key, []).append(f"{label}不可以 =、+、-、@ 開頭")
    return value


def _check_document(document, errors: dict) -> None:
    if document is None:
        return
    name = os.path.basename(getattr(document, "name", "") or "")
    extension = os.path.splitext(name)[1].lower()
    if extension not in DOCUMENT_SIGNATURES:
        errors.setdefault("document", []).append("證明文件限 PDF、PNG 或 JPG 檔")
        return
    if document.size > MAX_DOCUMENT_BYTES:
        errors.setdefault("document", []).append("證明文件不可超過 5 MB")
        return
    document.seek(0)
    head = document.read(16)
    document.seek(0)
    if not head.startswith(DOCUMENT_SIGNATURES[extension]):
        errors.setdefault("document", []).append(f"證明文件的內容不是 {extension[1:].upper()} 檔，請確認檔案")


def _clean_application(data: dict, document, *, document_required: bool) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = {
        "name": _text(data, "name", "機關(構)名稱", 200, errors),
        "contact_name": _text(data, "contact_name", "聯絡人", 100, errors),
        "contact_phone": _text(data, "contact_phone", "聯絡電話", 30, errors, required=False),
        "address": _text(data, "address", "地址", 300, errors),
    }
    kind = str(data.get("kind") or "")
    if kind not in dict(Institution.KIND_CHOICES):
        errors["kind"] = ["請選擇機關(構)類型"]
    email = str(data.get("contact_email") or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["contact_email"] = ["請輸入正確的電子郵件地址"]
    county = str(data.get("county_code") or "").strip()
    if county not in batch.counties():
        errors["county_code"] = ["請選擇所在縣市"]
    modes = sorted({int(m) for m in data.get("class_modes") or [] if str(m).isdigit()})
    if not modes or any(m not in mode_labels() for m in modes):
        errors["class_modes"] = ["請勾選開設課程類型（至少一項）"]
    if document is None and document_required:
        errors["document"] = ["請上傳證明文件（立案或設立證明）"]
    _check_document(document, errors)
    if errors:
        raise ValidationError(errors)
    return {**cleaned, "kind": kind, "contact_email": email, "county_code": county, "class_modes": modes}


def _mail(institution: Institution, subject: str, body: str) -> None:
    recipient = institution.contact_email
    transaction.on_commit(lambda: _notice(subject, body, recipient))


def _site() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def institution_apply(*, actor, data: dict, document) -> Institution:
    """An account applies for its organisation to become a learning institution. ValidationError {field: [msg]}."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied("請先登入再申請")
    cleaned = _clean_application(data, document, document_required=True)
    with transaction.atomic(durable=True):
        institution = Institution(
            **cleaned,
            name_search=search_fold(cleaned["name"]),
            applicant=actor,
            status=Institution.SUBMITTED,
            created_at=clock.now(),
            document_name=os.path.basename(document.name)[:200],
        )
        institution.document.save(os.path.basename(document.name), document, save=False)
        institution.save()
        audit_record(
            actor=actor,
            action="hours.institution_apply",
            subject=institution,
            changes={"name": [None, institution.name], "kind": [None, institution.kind], "status": [None, "submitted"]},
        )
        _mail(
            institution,
            f"學習機關(構)申請已收到：{institution.name}",
            f"{institution.contact_name} 您好：\n\n"
            f"已收到「{institution.name}」的學習機關(構)申請（編號 {institution.pk}），"
            "系統管理者審核後將以電子郵件通知結果。\n",
        )
    return institution


def institution_resubmit(*, actor, institution: Institution, data: dict, document=None) -> Institution:
    """The applicant corrects an application an operator asked changes for; it returns to the queue."""
    if actor is None or institution.applicant_id != actor.pk:
        raise PermissionDenied("只有申請人可以修改申請資料")
    cleaned = _clean_application(data, document, document_required=False)
    with transaction.atomic(durable=True):
        current = Institution.objects.select_for_update().get(pk=institution.pk)
        if current.status != Institution.CHANGES:
            raise ValidationError({"status": [f"此申請目前為「{current.get_status_display()}」，不能修改"]})
        before = {key: getattr(current, key) for key in cleaned}
        for key, value in cleaned.items():
            setattr(current, key, value)
        current.name_search = search_fold(current.name)
        if document is not None:
            current.document_name = os.path.basename(document.name)[:200]
            current.document.save(os.path.basename(document.name), document, save=False)
        current.status = Institution.SUBMITTED
        current.save()
        changes = {key: [before[key], value] for key, value in cleaned.items() if before[key] != value}
        changes["status"] = [Institution.CHANGES, Institution.SUBMITTED]
        audit_record(actor=actor, action="hours.institution_resubmit", subject=current, changes=changes)
    return current


def institution_review(
    *, actor, institution: Institution, decision: str, note: str = "", code: str = ""
) -> Institution:
    """An operator approves (with the 10-character institution code it reports hours under), asks for changes or
    refuses (both with a reason). Only an application waiting in the queue can be reviewed."""
    if not selectors.is_operator(actor):
        raise PermissionDenied("只有系統管理者可以審核學習機關(構)申請")
    note = (note or "").strip()
    code = (code or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if decision not in (APPROVE, CHANGES, REFUSE):
        errors["decision"] = ["請選擇審核結果"]
    if decision in (CHANGES, REFUSE) and not note:
        errors["note"] = ["請說明需補正的內容或不予核准的理由"]
    if len(note) > 2000:
        errors["note"] = ["審核意見最多 2000 字"]
    if decision == APPROVE and not code:
        errors["code"] = ["核准時請指定學習機關(構)代碼（10 碼）"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        current = Institution.objects.select_for_update().get(pk=institution.pk)
        if current.status != Institution.SUBMITTED:
            raise ValidationError({"decision": [f"此申請目前為「{current.get_status_display()}」，不在審核佇列中"]})
        old_status = current.status
        if decision == APPROVE:
            agency = registry_services.agency_ensure(code=code, name=current.name, actor=actor)
            if Institution.objects.filter(agency=agency).exclude(pk=current.pk).exists():
                raise ValidationError({"code": [f"代碼 {code} 已由其他學習機關(構)使用"]})
            current.agency = agency
            current.status = Institution.APPROVED
            if current.applicant_id:
                InstitutionMember.objects.get_or_create(
                    institution=current,
                    user_id=current.applicant_id,
                    defaults={"role": InstitutionMember.ADMIN, "added_at": clock.now()},
                )
        else:
            current.status = Institution.CHANGES if decision == CHANGES else Institution.REFUSED
        current.review_note = note
        current.reviewed_at = clock.now()
        current.reviewed_by = actor
        current.save()
        audit_record(
            actor=actor,
            action="hours.institution_review",
            subject=current,
            changes={"status": [old_status, current.status], "note": [None, note], "code": [None, code or None]},
        )
        subject, body = {
            APPROVE: (
                f"學習機關(構)申請已核准：{current.name}",
                f"「{current.name}」已核准為學習機關(構)，代碼 {code}。申請人帳號即為機關(構)管理者，"
                f"請登入終身學習入口網站之「學習機關(構)專區」新增承辦人員並建立開班資料。\n{_site()}/lifelong/institutions/\n",
            ),
            CHANGES: (
                f"學習機關(構)申請請補正：{current.name}",
                f"「{current.name}」的申請需要補正：\n{note}\n\n請登入後修改申請資料並重新送出。\n{_site()}/lifelong/institutions/apply/{current.pk}\n",
            ),
            REFUSE: (
                f"學習機關(構)申請未核准：{current.name}",
                f"很抱歉，「{current.name}」的申請未獲核准，理由：\n{note}\n",
            ),
        }[decision]
        _mail(current, subject, f"{current.contact_name} 您好：\n\n{body}")
    return current


def member_add(*, actor, institution: Institution, login: str, role: str) -> InstitutionMember:
    """An institution administrator (or an operator) adds an existing account as staff or administrator."""
    if selectors.role_in(actor, institution) not in (InstitutionMember.ADMIN, selectors.OPERATOR):
        raise PermissionDenied("只有機關(構)管理者可以新增人員")
    if role not in dict(InstitutionMember.ROLE_CHOICES):
        raise ValidationError({"role": ["請選擇角色"]})
    user = identity_selectors.find_account(login)
    if user is None or not user.is_active:
        raise ValidationError({"login": ["找不到此帳號（請輸入身分證字號或自訂帳號）"]})
    with transaction.atomic(durable=True):
        if InstitutionMember.objects.filter(institution=institution, user=user).exists():
            raise ValidationError({"login": [f"{user.display_name} 已是本機關(構)人員"]})
        member = InstitutionMember.objects.create(institution=institution, user=user, role=role, added_at=clock.now())
        audit_record(
            actor=actor,
            action="hours.institution_member_add",
            subject=member,
            changes={"institution": [None, institution.pk], "user": [None, user.pk], "role": [None, role]},
        )
    return member


def _invitation_send(member: InstitutionMember, inviter) -> None:
    """The invitation e-mail (text and HTML) with a fresh link, after the commit."""
    user, institution = member.user, member.institution
    context = {
        "name": member.name,
        "username": user.username,
        "institution": institution.name,
        "role": member.get_role_display(),
        "inviter": inviter.display_name or inviter.get_username(),
    }

    def send() -> None:
        mail_send(
            template="hours/mail/staff_invitation",
            subject="終身學習入口網站 學習機關(構)人員帳號邀請",
            to=[user.email],
            context={
                **context,
                "link": identity_invitations.invitation_link(user),
                "when": identity_invitations.invitation_expires_text(),
            },
        )

    transaction.on_commit(send)


def member_invite(
    *, actor, institution: Institution, name: str, username: str, email: str, role: str
) -> InstitutionMember:
    """An institution administrator (or an operator) adds someone who has no account yet: an account with the
    自訂帳號 and e-mail given and no password is made, it becomes a member with `role`, and an invitation to set
    the password (identity's signed, expiring, single-use link; eCPA's password rules) is e-mailed. Until the
    password is set the account cannot sign in. ValidationError {field: [message]}; nothing is written then."""
    if selectors.role_in(actor, institution) not in (InstitutionMember.ADMIN, selectors.OPERATOR):
        raise PermissionDenied("只有機關(構)管理者可以新增人員")
    name, username, email = name.strip(), username.strip(), email.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["請輸入姓名"]
    elif len(name) > 100:
        errors["name"] = ["姓名最多 100 字"]
    errors.update(identity_invitations.invited_account_problems(username=username, email=email))
    if "email" not in errors and institution.members.filter(user__email__iexact=email).exists():
        errors["email"] = [f"{email} 已是本機關(構)人員"]
    if role not in dict(InstitutionMember.ROLE_CHOICES):
        errors["role"] = ["請選擇角色"]
    if errors:
        raise ValidationError(errors)
    try:
        member = _member_invite_write(actor, institution, name=name, username=username, email=email, role=role)
    except IntegrityError as exc:  # the same 自訂帳號 taken a moment earlier by another request
        raise ValidationError({"username": ["此帳號已有人使用，請改用其他帳號"]}) from exc
    return member


def _member_invite_write(actor, institution: Institution, *, name: str, username: str, email: str, role: str):
    with transaction.atomic(durable=True):
        user = identity_invitations.invited_account_create(username=username, email=email)
        member = InstitutionMember.objects.create(
            institution=institution, user=user, role=role, name=name, added_at=clock.now()
        )
        audit_record(
            actor=actor,
            action="hours.institution_member_invite",
            subject=member,
            changes={
                "institution": [None, institution.pk],
                "user": [None, user.pk],
                "role": [None, role],
                "name": [None, name],
                "email": [None, email],
            },
        )
        _invitation_send(member, actor)
    return member


def member_invite_again(*, actor, member: InstitutionMember) -> None:
    """A new invitation e-mail (a fresh link) to a member who has not set a password yet."""
    if selectors.role_in(actor, member.institution) not in (InstitutionMember.ADMIN, selectors.OPERATOR):
        raise PermissionDenied("只有機關(構)管理者可以寄送邀請")
    if not member.invited:
        raise ValidationError({"member": ["此人員已設定密碼，不需要再寄送邀請"]})
    with transaction.atomic(durable=True):
        audit_record(actor=actor, action="hours.institution_member_invite_again", subject=member)
        _invitation_send(member, actor)


def member_remove(*, actor, member: InstitutionMember) -> None:
    """Remove a member; the last administrator stays (an institution is never left without one)."""
    institution = member.institution
    if selectors.role_in(actor, institution) not in (InstitutionMember.ADMIN, selectors.OPERATOR):
        raise PermissionDenied("只有機關(構)管理者可以移除人員")
    with transaction.atomic(durable=True):
        admins = InstitutionMember.objects.select_for_update().filter(
            institution=institution, role=InstitutionMember.ADMIN
        )
        if member.role == InstitutionMember.ADMIN and admins.count() <= 1:
            raise ValidationError({"member": ["不能移除唯一的機關(構)管理者"]})
        user, member_pk = member.user, member.pk
        member.delete()
        # An invitation not yet accepted is withdrawn with the membership: its link stops working.
        withdrawn = not InstitutionMember.objects.filter(
            user=user
        ).exists() and identity_invitations.invited_account_withdraw(user=user)
        audit_record(
            actor=actor,
            action="hours.institution_member_remove",
            subject_type=InstitutionMember._meta.label_lower,
            subject_id=member_pk,
            changes={
                "institution": [institution.pk, None],
                "user": [user.pk, None],
                "role": [member.role, None],
                **({"invitation": ["open", "withdrawn"]} if withdrawn else {}),
            },
        )
