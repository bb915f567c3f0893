"""我教的課: provider staff (AgencyRole "provider") build, publish and follow their agency's courses.

Every write checks inside the operation that the actor may provide for the course's agency (operators may for
any), so a view, command or task cannot skip it. Reads for the results pages and exports are here too."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civlearn.core import clock, national_id, spreadsheets
from civlearn.core.services import audit_record
from civlearn.identity import selectors as identity_selectors
from civlearn.learning.models import Choice, Course, Enrolment, Mode, Question, QuestionnaireResponse, Unit
from civlearn.learning.partners import services as partner_services


class ProviderError(ValueError):
    """Shown as is; names the field."""


class ProviderDenied(PermissionError):
    pass


def may_provide(user, course: Course) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or identity_selectors.user_has_role(user, course.provider_agency, "provider")


def provider_agencies(user):
    return identity_selectors.agencies_managed_by(user, "provider")


def may_teach(user) -> bool:
    """Whether 我教的課 has anything for this user: the same people `creatable_agencies` gives an agency to
    (provider staff of some agency; operators once any agency provides a course). The link is shown only to them."""
    if not getattr(user, "is_authenticated", False):
        return False
    return provider_agencies(user).exists() or (bool(user.is_staff) and Course.objects.exists())


def creatable_agencies(user) -> list:
    """Agencies the user may create courses for: their provider agencies; operators also every agency that
    already provides courses (new provider agencies are set up by operators in the admin)."""
    agencies = list(provider_agencies(user))
    if user.is_staff:
        agency_model = Course._meta.get_field("provider_agency").related_model
        known = {a.pk for a in agencies}
        agencies += [
            a for a in agency_model.objects.filter(provided_courses__isnull=False).distinct() if a.pk not in known
        ]
    return sorted(agencies, key=lambda a: a.code)


def provided_courses(user) -> QuerySet[Course]:
    if user.is_staff:
        return Course.objects.select_related("provider_agency").order_by("code")
    return Course.objects.filter(provider_agency__in=provider_agencies(user)).select_related("provider_agency")


def _check(actor, course: Course) -> None:
    if not may_provide(actor, course):
        raise ProviderDenied(_("您不是此課程提供機關的課程提供人員"))


def _hours(text, label: str) -> Decimal:
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise ProviderError(_("%(label)s：請輸入數字") % {"label": label}) from exc
    if not value.is_finite() or value < Decimal("0.5") or value > Decimal("999"):
        raise ProviderError(_("%(label)s：須介於 0.5 到 999 小時") % {"label": label})
    if value != value.quantize(Decimal("0.1")):
        raise ProviderError(_("%(label)s：最多一位小數") % {"label": label})
    return value


def _course_values(values: dict) -> dict:
    title = (values.get("title") or "").strip()
    if not title:
        raise ProviderError(_("課程名稱：請填寫"))
    category = (values.get("category_code") or "").strip()
    if not category.isdigit():
        raise ProviderError(_("課程類別代碼：請填寫數字代碼"))
    minutes = str(values.get("required_reading_minutes") or "").strip()
    if not minutes.isdigit() or not 1 <= int(minutes) <= 6000:
        raise ProviderError(_("閱讀時數門檻（分鐘）：須為 1 到 6000 的整數"))
    mode = str(values.get("mode") or Mode.DIGITAL)
    if not mode.isdigit() or int(mode) not in Mode.values:
        raise ProviderError(_("學習性質：請選擇"))
    return {
        "title": title[:200],
        "summary": (values.get("summary") or "").strip(),
        "category_code": category,
        "certified_hours": _hours(values.get("certified_hours", ""), _("認證時數")),
        "required_reading_minutes": int(minutes),
        "mode": int(mode),
    }


def course_create(*, actor, agency, code: str, values: dict) -> Course:
    """A new course of `agency`, unpublished until the provider publishes it."""
    probe = Course(provider_agency=agency)
    _check(actor, probe)
    code = (code or "").strip().upper()
    if not code or len(code) > 30 or not all(ch.isalnum() or ch == "-" for ch in code):
        raise ProviderError(_("課程代碼：請用英數字與連字號，30 字以內"))
    cleaned = _course_values(values)
    try:
        with transaction.atomic():
            course = Course.objects.create(
                code=code,
                provider_agency=agency,
                production_year=clock.today().year,
                is_published=False,
                **cleaned,
            )
            audit_record(
                actor=actor,
                action="learning.course_created",
                subject=course,
                changes={key: [None, str(value)] for key, value in {"code": code, **cleaned}.items()},
            )
    except IntegrityError as exc:
        raise ProviderError(_("課程代碼：%(code)s 已被使用") % {"code": code}) from exc
    return course


def course_update(*, actor, course: Course, values: dict) -> Course:
    _check(actor, course)
    cleaned = _course_values(values)
    with transaction.atomic():
        course = Course.objects.select_for_update().get(pk=course.pk)
        changes = {}
        for key, value in cleaned.items():
            if getattr(course, key) != value:
                changes[key] = [str(getattr(course, key)), str(value)]
                setattr(course, key, value)
        if changes:
            course.save()
            audit_record(actor=actor, action="learning.course_updated", subject=course, changes=changes)
    return course


def course_publish(*, actor, course: Course, published: bool) -> Course:
    """上架 / 下架. A course goes up only with at least one unit, and every test unit with questions."""
    _check(actor, course)
    if published:
        # 加盟機關: an agency's providers publish once an operator has approved its application; operators may
        # publish any course.
        if not actor.is_staff and not partner_services.is_partner(course.provider_agency):
            raise ProviderError(
                _("「%(agency)s」尚未成為加盟機關，核准後才能上架課程（請先提出加盟機關申請）")
                % {"agency": course.provider_agency.name}
            )
        units = list(course.units.all())
        if not units:
            raise ProviderError(_("上架前請至少新增一個單元"))
        for unit in units:
            if unit.kind in (Unit.TEST, Unit.QUESTIONNAIRE) and not unit.questions.exists():
                raise ProviderError(_("單元「%(title)s」尚無題目，不能上架") % {"title": unit.title})
    with transaction.atomic():
        if Course.objects.filter(pk=course.pk).exclude(is_published=published).update(is_published=published):
            audit_record(
                actor=actor,
                action="learning.course_published" if published else "learning.course_unpublished",
                subject=course,
                changes={"is_published": [not published, published]},
            )
    course.is_published = published
    return course


UNIT_KINDS = {
    Unit.PAGE: gettext_lazy("文字頁"),
    Unit.VIDEO: gettext_lazy("影片"),
    Unit.TEST: gettext_lazy("測驗"),
    Unit.QUESTIONNAIRE: gettext_lazy("問卷"),
}


def unit_add(*, actor, course: Course, kind: str, title: str, body: str = "", passing_score: str = "60") -> Unit:
    _check(actor, course)
    if kind not in UNIT_KINDS:
        raise ProviderError(_("單元類型：請選擇"))
    title = (title or "").strip()
    if not title:
        raise ProviderError(_("單元名稱：請填寫"))
    mark = str(passing_score or "60").strip()
    if not mark.isdigit() or not 0 <= int(mark) <= 100:
        raise ProviderError(_("及格分數：須為 0 到 100 的整數"))
    with transaction.atomic():
        last = course.units.order_by("-order").values_list("order", flat=True).first() or 0
        unit = Unit.objects.create(
            course=course, order=last + 1, kind=kind, title=title[:200], body=body or "", pass_mark=int(mark)
        )
        audit_record(
            actor=actor,
            action="learning.unit_added",
            subject=unit,
            changes={"kind": [None, kind], "title": [None, title]},
        )
    return unit


def parse_choices(text: str) -> list[tuple[str, bool]]:
    """One choice a line; a line starting with * is a correct answer."""
    choices = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        correct = line.startswith("*")
        label = line.lstrip("*").strip()
        if label:
            choices.append((label[:300], correct))
    return choices


def question_add(*, actor, unit: Unit, kind: str, text: str, choices_text: str = "", required: bool = True) -> Question:
    """Add a question. Test questions are 單選 / 複選 / 是非 with choices and the right answers marked;
    questionnaire questions may also be 量表 or 文字."""
    _check(actor, unit.course)
    text = (text or "").strip()
    if not text:
        raise ProviderError(_("題目：請填寫"))
    allowed = {Question.SINGLE, Question.MULTIPLE, Question.TRUE_FALSE}
    if unit.kind == Unit.QUESTIONNAIRE:
        allowed |= {Question.SCALE, Question.TEXT}
    elif unit.kind != Unit.TEST:
        raise ProviderError(_("只有測驗與問卷單元可以新增題目"))
    if kind not in allowed:
        raise ProviderError(_("題型：此單元不能使用這個題型"))
    choices = parse_choices(choices_text) if kind in (Question.SINGLE, Question.MULTIPLE, Question.TRUE_FALSE) else []
    if kind in (Question.SINGLE, Question.MULTIPLE, Question.TRUE_FALSE):
        if len(choices) < 2:
            raise ProviderError(_("選項：至少需要兩個選項（每行一個）"))
        right = sum(1 for _, correct in choices if correct)
        if unit.kind == Unit.TEST:
            if right == 0:
                raise ProviderError(_("選項：請在正確答案前加上 *"))
            if kind != Question.MULTIPLE and right != 1:
                raise ProviderError(_("選項：單選與是非題只能有一個正確答案"))
    with transaction.atomic():
        last = unit.questions.order_by("-order").values_list("order", flat=True).first() or 0
        question = Question.objects.create(unit=unit, order=last + 1, kind=kind, text=text, required=required)
        Choice.objects.bulk_create(
            Choice(question=question, order=n, text=label, is_correct=correct and unit.kind == Unit.TEST)
            for n, (label, correct) in enumerate(choices, start=1)
        )
        audit_record(
            actor=actor,
            action="learning.question_added",
            subject=question,
            changes={"unit": [None, unit.pk], "kind": [None, kind], "choices": [None, len(choices)]},
        )
    return question


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSummary:
    question: Question
    answered: int
    mean: Decimal | None
    counts: list[tuple[str, int]]
    texts: list[str]


def results_enrolments(*, actor, course: Course) -> list[Enrolment]:
    _check(actor, course)
    return list(
        Enrolment.objects.filter(course=course)
        .select_related("user__person__agency", "certificate")
        .order_by("-completed_at", "enrolled_at")
    )


def questionnaire_summaries(*, actor, course: Course) -> list[tuple[Unit, int, list[QuestionSummary]]]:
    """Each questionnaire unit of the course, how many filled it in, and per question: the mean of a scale,
    the count per choice, or the text answers. Aggregated only: no answer is tied to a learner here."""
    _check(actor, course)
    result = []
    for unit in course.units.filter(kind=Unit.QUESTIONNAIRE).prefetch_related("questions__choices"):
        responses = list(QuestionnaireResponse.objects.filter(unit=unit).values_list("answers", flat=True))
        summaries = []
        for question in unit.questions.all():
            values = [answers[str(question.pk)] for answers in responses if str(question.pk) in answers]
            mean, counts, texts = None, [], []
            if question.kind == Question.SCALE:
                if values:
                    mean = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"))
                counts = [(str(n), sum(1 for v in values if v == n)) for n in range(1, question.scale_max + 1)]
            elif question.kind == Question.TEXT:
                texts = [v for v in values if v]
            else:
                chosen = [c for v in values for c in v]
                counts = [(c.text, chosen.count(c.pk)) for c in question.choices.all()]
            summaries.append(QuestionSummary(question, len(values), mean, counts, texts))
        result.append((unit, len(responses), summaries))
    return result


EXPORT_HEADER = [
    gettext_lazy("姓名"),
    gettext_lazy("身分證字號"),
    gettext_lazy("服務機關"),
    gettext_lazy("報名時間"),
    gettext_lazy("閱讀分鐘"),
    gettext_lazy("完成時間"),
    gettext_lazy("證書字號"),
]


def export_rows(enrolments: list[Enrolment]) -> list[list[str]]:
    from django.utils import timezone

    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    rows = []
    for e in enrolments:
        person = e.user.person
        certificate = getattr(e, "certificate", None) if e.completed_at else None
        rows.append(
            [
                person.name if person else str(e.user),
                national_id.mask(person.national_id) if person else "",
                person.agency.name if person else "",
                when(e.enrolled_at),
                str(e.reading_ms // 60_000),
                when(e.completed_at),
                certificate.number if certificate else "",
            ]
        )
    return rows


def export_csv(enrolments: list[Enrolment]) -> bytes:
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out)  # cells a spreadsheet would run as formulas are neutralised
    writer.writerow([str(label) for label in EXPORT_HEADER])
    writer.writerows(export_rows(enrolments))
    # UTF-8 with BOM so Excel on Windows opens the Chinese columns correctly.
    return out.getvalue().encode("utf-8-sig")


def export_xlsx(enrolments: list[Enrolment]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("選課與完成"))
    sheet.append([str(label) for label in EXPORT_HEADER])
    for row in export_rows(enrolments):
        sheet.append(spreadsheets.xlsx_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
