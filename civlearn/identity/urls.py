from django.urls import path

from civlearn.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.index, name="index"),
    path("signin", views.signin, name="signin"),
    path("signout", views.signout, name="signout"),
    path("first-signin", views.first_signin_help, name="first_signin_help"),
    path("first-signin/email", views.first_signin, name="first_signin"),
    path("password/forgot", views.password_forgot, name="password_forgot"),
    # The token is opaque and single use; it never carries the national ID.
    path("verify/<str:token>", views.verify, name="verify"),
    path("password/set", views.password_set, name="password_set"),
    path("password/expired", views.password_expired, name="password_expired"),
    path("my", views.my_area, name="my_area"),
    path("my/password", views.password_change, name="password_change"),
    path("my/signins", views.signin_records, name="signin_records"),
]
