"""Demo courses of e等公務園+: the required topics (policy, environmental education ×2, gender equality, human
rights, administrative neutrality, cybersecurity), each with pages, a test and a questionnaire, in the zones of
公務人員10小時課程專區. Idempotent: running it again updates the same courses by code.

Category codes are from the table in force since 2024 (civlearn/hours/data/categories-2024.csv, loaded by a
migration).
Providers are agencies of the registry demo (created here too if that seeder has not run)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from civlearn.learning.models import Choice, Course, Question, Unit, Zone
from civlearn.registry.models import Agency

PROVIDERS = {
    "A15000000C": "行政院人事行政總處",
    "A01000000E": "教育部",
    "379000000A": "臺北市政府",
}

ZONES = [
    (
        "ten-hours",
        "公務人員10小時課程專區",
        None,
        "每年必須完成之課程：當前政府重大政策 1 小時、環境教育 4 小時，及性別平等等 5 小時。",
    ),
    ("policy", "當前政府重大政策", "ten-hours", ""),
    ("environment", "環境教育", "ten-hours", ""),
    ("gender", "性別平等", "ten-hours", ""),
    ("human-rights", "人權教育", "ten-hours", ""),
    ("neutrality", "行政中立", "ten-hours", ""),
    ("cybersecurity", "資通安全專區", None, "資通安全(通識)及專業課程。"),
]

# (question, kind, [(choice, correct), ...])
COURSES = [
    {
        "code": "DEMO-POL-01",
        "title": "當前政府重大政策：淨零轉型與韌性臺灣",
        "category_code": "510",
        "hours": "1",
        "provider": "A15000000C",
        "zones": ["policy"],
        "keywords": "淨零 碳排 能源轉型 政策",
        "summary": "說明 2050 淨零排放路徑的政策架構、關鍵戰略與公務機關的角色。\n適合所有公務人員。",
        "pages": [
            ("淨零排放的政策架構", "2050 淨零排放是跨部會的長期目標，以能源、產業、生活與社會四大轉型為主軸。"),
            ("公務機關的角色", "機關在採購、辦公節能與公共服務中落實減碳，並協助民眾理解轉型政策。"),
        ],
        "questions": [
            (
                "淨零轉型的四大轉型不包括下列哪一項？",
                "single",
                [("能源轉型", False), ("太空轉型", True), ("生活轉型", False)],
            ),
            ("機關辦公節能屬於落實淨零的一環。", "truefalse", [("是", True), ("否", False)]),
        ],
    },
    {
        "code": "DEMO-ENV-01",
        "title": "環境教育：氣候變遷與調適",
        "category_code": "339",
        "hours": "2",
        "provider": "A01000000E",
        "zones": ["environment"],
        "keywords": "環境 氣候 調適 減緩",
        "summary": "認識氣候變遷的成因、衝擊，以及減緩與調適策略。符合環境教育法每年 4 小時之環境教育時數。",
        "pages": [
            ("氣候變遷的成因", "人為排放的溫室氣體使地球能量收支失衡，造成全球暖化與極端天氣。"),
            ("減緩與調適", "減緩是減少排放，調適是降低衝擊的脆弱度，例如防洪設施與調整作物種植期。"),
        ],
        "questions": [
            (
                "溫室氣體主要來自下列哪一項？",
                "single",
                [("化石燃料燃燒", True), ("月球引力", False), ("地磁變化", False)],
            ),
            (
                "下列哪些屬於調適策略？",
                "multiple",
                [("建置防洪設施", True), ("調整作物種植期", True), ("增加燃煤發電", False)],
            ),
            ("調適與減緩是同一件事。", "truefalse", [("是", False), ("否", True)]),
        ],
    },
    {
        "code": "DEMO-ENV-02",
        "title": "環境教育：自然保育與生物多樣性",
        "category_code": "341",
        "hours": "2",
        "provider": "A01000000E",
        "zones": ["environment"],
        "keywords": "環境 保育 生態 生物多樣性",
        "summary": "從臺灣的生態系出發，認識生物多樣性的價值與保育行動。",
        "pages": [
            ("臺灣的生物多樣性", "臺灣面積不大，卻有從海岸到高山的多樣生態系與豐富的特有種。"),
            ("保育行動", "棲地保護、外來種防治與友善農業，都是公私協力的保育行動。"),
        ],
        "questions": [
            ("外來種防治有助於保護原生物種。", "truefalse", [("是", True), ("否", False)]),
            (
                "下列何者是棲地保護的做法？",
                "single",
                [("劃設保護區", True), ("填平濕地", False), ("大量引進外來魚種", False)],
            ),
        ],
    },
    {
        "code": "DEMO-GEN-01",
        "title": "性別平等：CEDAW 與性別主流化入門",
        "category_code": "346",
        "hours": "2",
        "provider": "A15000000C",
        "zones": ["gender"],
        "keywords": "性別 性平 CEDAW 性別主流化",
        "summary": "介紹消除對婦女一切形式歧視公約（CEDAW）的精神，以及性別主流化在政策中的應用。",
        "pages": [
            ("CEDAW 的精神", "CEDAW 要求國家消除直接與間接歧視，並促進實質平等。"),
            ("性別主流化工具", "性別統計、性別分析與性別影響評估，幫助政策顧及不同性別的需要。"),
        ],
        "questions": [
            (
                "下列哪些是性別主流化工具？",
                "multiple",
                [("性別統計", True), ("性別影響評估", True), ("隨機抽籤", False)],
            ),
            ("CEDAW 只處理直接歧視。", "truefalse", [("是", False), ("否", True)]),
        ],
    },
    {
        "code": "DEMO-HR-01",
        "title": "人權教育：兩公約與公務執行",
        "category_code": "550",
        "hours": "1",
        "provider": "A15000000C",
        "zones": ["human-rights"],
        "keywords": "人權 兩公約 公政公約 經社文公約",
        "summary": "以案例說明公民與政治權利國際公約、經濟社會文化權利國際公約在日常公務中的意義。",
        "pages": [
            ("兩公約是什麼", "兩公約施行法使公約規定具有國內法律效力，各級機關應依公約保障人權。"),
            ("公務中的人權", "從申請案件的程序保障到個人資料保護，都是人權在公務中的實踐。"),
        ],
        "questions": [
            ("兩公約施行法使公約規定具有國內法律效力。", "truefalse", [("是", True), ("否", False)]),
            ("下列何者屬於程序保障？", "single", [("給予陳述意見的機會", True), ("不說明處分理由", False)]),
        ],
    },
    {
        "code": "DEMO-NEU-01",
        "title": "行政中立：公務人員的政治活動界線",
        "category_code": "7",
        "hours": "1",
        "provider": "A15000000C",
        "zones": ["neutrality"],
        "keywords": "行政中立 選舉 政治活動",
        "summary": "依公務人員行政中立法，說明選舉期間的行為分際。",
        "pages": [
            ("行政中立的意義", "公務人員依法行政、執法公正，不介入黨派紛爭。"),
            ("選舉期間的分際", "不得利用職務上的權力、機會或方法，要求他人支持或反對特定候選人。"),
        ],
        "questions": [
            ("公務人員可在上班時間為候選人拉票。", "truefalse", [("是", False), ("否", True)]),
        ],
    },
    {
        "code": "DEMO-SEC-01",
        "title": "資通安全(通識)：社交工程與密碼安全",
        "category_code": "522",
        "hours": "3",
        "provider": "379000000A",
        "zones": ["cybersecurity"],
        "keywords": "資安 資通安全 社交工程 釣魚郵件 密碼",
        "summary": "辨識釣魚郵件與社交工程手法，建立安全的密碼與多因素驗證習慣。",
        "pages": [
            ("社交工程", "攻擊者假冒長官、廠商或系統通知，誘使點擊連結或開啟附件。"),
            ("密碼與多因素驗證", "使用長而不重複的密碼，並啟用多因素驗證或通行金鑰。"),
        ],
        "questions": [
            (
                "收到要求輸入帳密的可疑郵件，應如何處理？",
                "single",
                [("通報資安窗口並刪除", True), ("先點連結看看", False)],
            ),
            (
                "下列哪些是好的密碼習慣？",
                "multiple",
                [("每個系統不同密碼", True), ("啟用多因素驗證", True), ("把密碼貼在螢幕上", False)],
            ),
            ("附件副檔名為 .exe 的郵件通常可以放心開啟。", "truefalse", [("是", False), ("否", True)]),
        ],
    },
]


@transaction.atomic
def seed(**_options) -> list[Course]:
    providers = {
        code: Agency.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in PROVIDERS.items()
    }
    zones: dict[str, Zone] = {}
    for order, (slug, name, parent, description) in enumerate(ZONES):
        zones[slug], _ = Zone.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "parent": zones.get(parent), "order": order, "description": description},
        )
    courses = []
    for spec in COURSES:
        hours = Decimal(spec["hours"])
        course, _ = Course.objects.update_or_create(
            code=spec["code"],
            defaults={
                "title": spec["title"],
                "summary": spec["summary"],
                "keywords": spec["keywords"],
                "category_code": spec["category_code"],
                "certified_hours": hours,
                "provider_agency": providers[spec["provider"]],
                "production_year": 2025,
                "required_reading_minutes": int(hours * 60),
                "recertifiable": spec["code"].startswith("DEMO-SEC"),
            },
        )
        course.zones.set([zones[slug] for slug in spec["zones"]])
        if not course.units.exists():
            _units(course, spec)
        courses.append(course)
    return courses


def _units(course: Course, spec: dict) -> None:
    for order, (title, body) in enumerate(spec["pages"], start=1):
        Unit.objects.create(course=course, order=order, kind=Unit.PAGE, title=title, body=body)
    test = Unit.objects.create(course=course, order=50, kind=Unit.TEST, title="課後測驗", pass_mark=60, max_attempts=3)
    for number, (text, kind, choices) in enumerate(spec["questions"], start=1):
        question = Question.objects.create(unit=test, order=number, kind=kind, text=text)
        for position, (label, correct) in enumerate(choices, start=1):
            Choice.objects.create(question=question, order=position, text=label, is_correct=correct)
    questionnaire = Unit.objects.create(course=course, order=60, kind=Unit.QUESTIONNAIRE, title="課程滿意度問卷")
    Question.objects.create(unit=questionnaire, order=1, kind=Question.SCALE, text="整體而言，我對本課程感到滿意。")
    Question.objects.create(unit=questionnaire, order=2, kind=Question.SCALE, text="課程內容對我的工作有幫助。")
    Question.objects.create(unit=questionnaire, order=3, kind=Question.TEXT, text="其他建議", required=False)
