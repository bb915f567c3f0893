from django.urls import path

from civlearn.identity import views

app_name = "identity"

urlpatterns = [
    path("", views.index, name="index"),
    path("signin", views.signin, name="signin"),
    path("signout", views.signout, name="signout"),
    path("my", views.my_area, name="my_area"),
    path("password/expired", views.password_expired, name="password_expired"),
]
