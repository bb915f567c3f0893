"""The learning app's URLs under /elearn/ (namespace "learning"), grouped by concern. SCORM has its own
namespace (scorm/urls.py) because part of it is served from the content origin."""

from django.urls import path

from civlearn.learning.catalogue import views as catalogue
from civlearn.learning.completion import views as completion
from civlearn.learning.entrance import views as entrance
from civlearn.learning.gaps import views as gaps
from civlearn.learning.home import views as home
from civlearn.learning.partners import views as partners
from civlearn.learning.provide import views as provide
from civlearn.learning.reading import views as reading

app_name = "learning"

urlpatterns = [
    # the entrance (manual steps 一 to 三): first-visit notice, sign-in choice
    path("notice", entrance.notice_acknowledge, name="notice_acknowledge"),
    path("signin/", entrance.signin_choice, name="signin_choice"),
    # 加盟機關
    path("partners/", partners.partner_list, name="partners"),
    path("partners/apply", partners.partner_apply, name="partner_apply"),
    path("partners/<str:code>/", partners.partner_detail, name="partner"),
    # catalogue, enrolment and the course pages
    path("", catalogue.catalogue_view, name="catalogue"),
    path("terms/", catalogue.terms_view, name="terms"),
    path("my/", catalogue.my_courses_view, name="my_courses"),
    path("courses/<str:code>/", catalogue.course_view, name="course"),
    path("courses/<str:code>/enrol", catalogue.enrol_view, name="enrol"),
    path("courses/<str:code>/learn/", catalogue.learn_view, name="learn"),
    path("courses/<str:code>/learn/<int:unit_id>/", catalogue.learn_view, name="learn_unit"),
    path("courses/<str:code>/learn/<int:unit_id>/test/start", catalogue.test_start_view, name="test_start"),
    path(
        "courses/<str:code>/learn/<int:unit_id>/test/<int:attempt_id>/submit",
        catalogue.test_submit_view,
        name="test_submit",
    ),
    path(
        "courses/<str:code>/learn/<int:unit_id>/questionnaire",
        catalogue.questionnaire_submit_view,
        name="questionnaire_submit",
    ),
    # reading time and media
    path("heartbeat", reading.heartbeat_view, name="heartbeat"),
    path("units/<int:unit_id>/video", reading.video_view, name="video"),
    # certificates
    path("certificates/<str:number>.pdf", completion.certificate_pdf_view, name="certificate_pdf"),
    path("verify/", completion.verify_form_view, name="certificate_verify"),
    path("verify/<str:code>/", completion.verify_view, name="certificate_verify_code"),
    # 個人專區
    path("home/", home.home_view, name="home"),
    path("home/profile/", home.profile_view, name="home_profile"),
    path("home/profile/photo", home.photo_view, name="home_photo"),
    path("home/profile/photo/upload", home.photo_upload_view, name="home_photo_upload"),
    path("home/profile/photo/remove", home.photo_remove_view, name="home_photo_remove"),
    path("home/goals/", home.goals_view, name="home_goals"),
    path("home/records/", home.records_view, name="home_records"),
    path("home/records/charts/", home.charts_view, name="home_charts"),
    path("home/records/history/", home.history_view, name="home_history"),
    path("home/packages/", home.packages_view, name="home_packages"),
    # 時數缺口: gaps, suggested courses, reminder setting
    path("home/gaps/", gaps.gaps_view, name="gaps"),
    path("home/gaps/reminders", gaps.preference_view, name="gaps_reminders"),
    path("gaps/unsubscribe/<str:token>/", gaps.unsubscribe_view, name="gaps_unsubscribe"),
    # 我教的課 (provider staff)
    path("home/teach/", provide.teach_list_view, name="teach"),
    path("home/teach/<str:code>/", provide.teach_course_view, name="teach_course"),
    path("home/teach/<str:code>/publish", provide.teach_publish_view, name="teach_publish"),
    path("home/teach/<str:code>/units/add", provide.teach_unit_add_view, name="teach_unit_add"),
    path("home/teach/<str:code>/units/<int:unit_id>/", provide.teach_unit_view, name="teach_unit"),
    path("home/teach/<str:code>/results/", provide.teach_results_view, name="teach_results"),
    path("home/teach/<str:code>/results.<str:fmt>", provide.teach_export_view, name="teach_export"),
]
