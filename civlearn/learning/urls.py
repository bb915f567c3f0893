from django.urls import include, path

from civlearn.learning import views, views_media

app_name = "learning"

urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("terms/", views.terms_view, name="terms"),
    path("my/", views.my_courses_view, name="my_courses"),
    path("courses/<str:code>/", views.course_view, name="course"),
    path("courses/<str:code>/enrol", views.enrol_view, name="enrol"),
    path("courses/<str:code>/learn/", views.learn_view, name="learn"),
    path("courses/<str:code>/learn/<int:unit_id>/", views.learn_view, name="learn_unit"),
    path("courses/<str:code>/learn/<int:unit_id>/test/start", views.test_start_view, name="test_start"),
    path(
        "courses/<str:code>/learn/<int:unit_id>/test/<int:attempt_id>/submit",
        views.test_submit_view,
        name="test_submit",
    ),
    path(
        "courses/<str:code>/learn/<int:unit_id>/questionnaire",
        views.questionnaire_submit_view,
        name="questionnaire_submit",
    ),
    path("heartbeat", views_media.heartbeat_view, name="heartbeat"),
    path("units/<int:unit_id>/video", views_media.video_view, name="video"),
    path("certificates/<str:number>.pdf", views_media.certificate_pdf_view, name="certificate_pdf"),
    path("verify/", views_media.verify_form_view, name="certificate_verify"),
    path("verify/<str:code>/", views_media.verify_view, name="certificate_verify_code"),
    path("home/", include("civlearn.learning.urls_home")),
]
