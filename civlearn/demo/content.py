"""Demo announcements, 下載專區 documents, help pages and FAQ, and the 我的E政府 stand-in (seed_demo's content seeder).

Everything here is made-up demo text. The 我的E政府 stand-in is an external OIDC provider entry whose issuer is this
platform's own OIDC provider (SITE_URL + "/o"), so the option really signs in — it is labelled as a demo stand-in,
because the real 我的E政府 cannot be reached from a demo.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile
from odf.opendocument import OpenDocumentText
from odf.text import H, P

from civlearn.content.files import check_upload
from civlearn.content.models import Announcement, AnnouncementAttachment, Audience, Download, HelpPage
from civlearn.core import clock
from civlearn.sso import oidc
from civlearn.sso import services as sso_services
from civlearn.sso.models import ExternalProvider, RelyingParty

STAND_IN_SLUG = "myegov"
STAND_IN_NAME = "我的E政府（示範：由本平臺模擬）"

SIGNIN_HELP = [
    (
        "first-signin-browser",
        "首次登入與瀏覽器設定",
        """首次使用人事服務網 eCPA 的同仁，請先完成**首次登入**：

1. 在登入頁點選「首次登入說明」，再點「開始首次登入」。
2. 輸入身分證字號、生日、任現職之實際到職日期與電子郵件。
3. 收到認證信後，點信中的連結並輸入認證碼，設定密碼。

## 瀏覽器設定

- 請使用最新版的 Chrome、Edge、Firefox 或 Safari。
- 請允許本網站的 Cookie（維持登入狀態所需）。
- 公用電腦使用完畢請務必「登出」並關閉瀏覽器。
""",
    ),
    (
        "certificate-driver",
        "自然人或機關憑證驅動程式",
        """以**自然人憑證**或**機關憑證**登入前，電腦需安裝讀卡機驅動程式與憑證元件。

1. 將讀卡機接上電腦，安裝讀卡機廠商提供的驅動程式。
2. 安裝內政部憑證管理中心（自然人憑證）或政府憑證管理中心（機關憑證）提供的跨平台網頁元件。
3. 插入憑證卡後重新整理登入頁，即可選擇「自然人憑證」或「機關憑證」登入。

元件安裝說明文件可在「下載專區」取得。
""",
    ),
    (
        "cross-platform-component",
        "MAC及Linux跨平台網站元件",
        """macOS 與 Linux 的使用者請安裝**跨平台網頁元件**：

| 作業系統 | 說明 |
|---|---|
| macOS | 下載 .pkg 安裝檔，安裝後於「系統設定 → 隱私權與安全性」允許執行 |
| Linux | 下載 .deb 或 .rpm 套件，以套件管理程式安裝 |

安裝完成後請重新開啟瀏覽器。
""",
    ),
    (
        "signin-guide",
        "登入說明文件",
        """人事服務網 eCPA 提供下列登入方式：

- **自然人憑證**、**機關憑證**：插卡並輸入 PIN 碼。
- **行動自然人憑證**：本系統以通行金鑰（passkey）提供相同的免密碼登入。
- **帳號密碼登入**：身分證字號或自訂帳號，加上密碼。

密碼須符合安全規則，且每 180 天須變更一次。完整操作手冊請至「下載專區」下載。
""",
    ),
    (
        "nhi-card-component",
        "安裝健保卡元件",
        """健保卡登入需要衛生福利部中央健康保險署提供的**健保卡網路服務元件**。

本示範平臺不提供健保卡登入（該元件不公開），請改用自然人憑證、通行金鑰或帳號密碼登入。
""",
    ),
    (
        "register-with-citizen-certificate",
        "如何使用自然人憑證註冊",
        """已完成首次登入的同仁，可將自然人憑證綁定到帳號：

1. 以帳號密碼登入後，進入「我的專區 → 自然人憑證上傳」。
2. 插入自然人憑證並輸入 PIN 碼。
3. 綁定完成後，下次即可直接以自然人憑證登入。
""",
    ),
    (
        "mobile-citizen-certificate",
        "如何使用行動自然人憑證",
        """行動自然人憑證的推播登入須與內政部介接；本系統以**通行金鑰**提供同樣以手機或電腦驗證身分的登入：

1. 登入後進入「我的專區 → 通行金鑰」，點「新增通行金鑰」。
2. 依手機或電腦的提示完成指紋、臉部或 PIN 驗證。
3. 之後在登入頁選「行動自然人憑證」區塊的通行金鑰登入即可。
""",
    ),
]

GUIDES = [
    (
        "guide-enrol",
        "如何報名與上課",
        """1. 在「課程中心」以關鍵字或類別找到課程。
2. 進入課程頁查看**報名期間**、**上課期間**與**認證時數**，點「報名」。
3. 報名後點「開始上課」，閱讀時數會自動累計；完成測驗與問卷即取得時數與證書。
""",
    ),
    (
        "guide-records",
        "如何查詢學習紀錄與時數",
        """- e等公務園+：個人專區 → 學習紀錄，可看到已完成的課程與證書。
- 終身學習入口網站：個人資料夾 → 學習時數，可看到各學習機構上傳的時數與年度達成情形。
""",
    ),
    (
        "guide-packages",
        "套裝課程與學習地圖",
        """**套裝課程**把同一主題的課程組成一套，例如「公務人員10小時課程」；**學習地圖**像捷運路線圖一樣，
依站點順序完成課程。個人專區的「套裝課程」頁會列出您的進度。
""",
    ),
]

FAQS = [
    (
        "faq-hours-missing",
        "完成課程後，時數多久會出現在終身學習入口網站？",
        """完成課程且已同意「會員規範與時數上傳」者，時數會在完成當下送出，通常幾分鐘內即可在
終身學習入口網站的「學習時數」看到。若未出現，請確認會員規範的時數上傳選項。""",
    ),
    (
        "faq-forgot-password",
        "忘記密碼怎麼辦？",
        """請在人事服務網 eCPA 登入頁點「忘記密碼」，輸入身分證字號、生日與帳號上的電子郵件，依認證信重設密碼。""",
    ),
    (
        "faq-taichung",
        "臺中（台中）地區的機關如何找到自己的機關代碼？",
        "請在人事服務網 eCPA 上方的「機關組織」以機關名稱或代碼查詢；"
        "輸入「台中」或「臺中」都找得到，例如國立臺中科技大學。",
    ),
    (
        "faq-certificate",
        "學習證書如何查驗真偽？",
        """每張證書都有查驗碼與 QR Code，任何人都可在 e等公務園+ 的「證書查驗」輸入查驗碼確認。""",
    ),
]


def _odt(title: str, lines: list[str]) -> bytes:
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=title))
    for line in lines:
        document.text.addElement(P(text=line))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOWNLOADS = [
    # (title, category, description, file name, content factory)
    ("人事服務網 eCPA 操作手冊（示範）", "操作手冊", "首次登入、各種登入方式與我的專區的操作說明", "eCPA操作手冊.odt",
     lambda: _odt("人事服務網 eCPA 操作手冊（示範）", ["一、首次登入", "二、登入方式", "三、我的專區"])),
    ("跨平台網頁元件安裝說明", "元件安裝說明", "Windows、macOS、Linux 的憑證元件安裝步驟", "跨平台網頁元件安裝說明.txt",
     lambda: "跨平台網頁元件安裝說明（示範）\n1. 下載元件\n2. 安裝並重新開啟瀏覽器\n".encode()),
    ("加盟機關申請表", "表單", "機關申請成為 e等公務園+ 加盟機關時填寫", "加盟機關申請表.odt",
     lambda: _odt("加盟機關申請表（示範）", ["機關名稱：", "機關代碼：", "聯絡人：", "聯絡電話："])),
]  # fmt: skip


def _checked(name: str, data: bytes):
    upload = SimpleUploadedFile(name, data)
    return upload, check_upload(upload)


def _help_pages() -> None:
    for section, rows in ((HelpPage.SIGNIN, SIGNIN_HELP), (HelpPage.GUIDE, GUIDES), (HelpPage.FAQ, FAQS)):
        for order, (slug, title, body) in enumerate(rows):
            if not HelpPage.objects.filter(slug=slug).exists():
                HelpPage.objects.create(slug=slug, section=section, title=title, body=body, order=order)


def _announcements() -> None:
    today = clock.today()
    rows = [
        {"title": "e等公務園+學習平臺新版上線", "published_on": today - dt.timedelta(days=3), "pinned": True,
             "on_signin_page": True, "body": "新版平臺支援通行金鑰登入、學習地圖與**套裝課程**，歡迎多加利用。"},
        {"title": "113年1月1日起課程類別代碼表", "published_on": dt.date(2023, 12, 28),
             "body": "課程類別代碼表自113年1月1日起適用，請學習機構依新代碼上傳時數。"},
        {"title": "人事人員：年度學習時數提醒功能說明", "published_on": today - dt.timedelta(days=10),
             "audience": Audience.HR, "on_elearn": False,
             "body": "人事人員可在終身學習入口網站「進入管理介面」寄送時數提醒。"},
    ]  # fmt: skip
    for index, values in enumerate(rows):
        item = Announcement.objects.filter(title=values["title"]).first()
        if item is None:
            item = Announcement.objects.create(**values)
        if index == 0 and not item.attachments.exists():
            upload, checked = _checked(
                "新版上線說明.odt", _odt("新版上線說明（示範）", ["通行金鑰登入", "學習地圖", "套裝課程"])
            )
            attachment = AnnouncementAttachment(
                announcement=item, file_name=checked.file_name, size=checked.size,
                content_type=checked.content_type, uploaded_at=clock.now(),
            )  # fmt: skip
            attachment.file.save(checked.file_name, upload, save=True)


def _downloads() -> None:
    for order, (title, category, description, name, factory) in enumerate(DOWNLOADS):
        if Download.objects.filter(title=title).exists():
            continue
        upload, checked = _checked(name, factory())
        item = Download(
            title=title, category=category, description=description, order=order, file_name=checked.file_name,
            size=checked.size, content_type=checked.content_type, uploaded_at=clock.now(),
        )  # fmt: skip
        item.file.save(checked.file_name, upload, save=True)


def _external_stand_in() -> None:
    """我的E政府's stand-in: a client of this platform's own OIDC provider, signing in by the national ID claim."""
    issuer = oidc.issuer()
    site = issuer.removesuffix("/o")
    redirect_uri = f"{site}/ecpa/external/{STAND_IN_SLUG}/callback"
    provider = ExternalProvider.objects.filter(slug=STAND_IN_SLUG).first()
    if provider is not None and provider.issuer == issuer:
        return
    application, secret = sso_services.client_create(
        name=STAND_IN_NAME,
        grant_type="authorization-code",
        redirect_uris=redirect_uri,
        scopes="openid profile email national_id",
        first_party=True,
        national_id_allowed=True,
    )
    # Saved, not updated: a save is what renews the cached clients and the sign-in page's fragments.
    for party in RelyingParty.objects.filter(application=application):
        party.listed = False
        party.save(update_fields=["listed"])
    values = {
        "name": STAND_IN_NAME,
        "issuer": issuer,
        "client_id": cast("Any", application).client_id,
        "client_secret": secret,
        "scopes": "openid profile national_id",
        "national_id_claim": "national_id",
        "is_active": True,
    }
    if provider is None:
        ExternalProvider.objects.create(slug=STAND_IN_SLUG, **values)
    else:
        for field, value in values.items():
            setattr(provider, field, value)
        provider.save(update_fields=list(values))


def seed() -> None:
    _help_pages()
    _announcements()
    _downloads()
    _external_stand_in()
