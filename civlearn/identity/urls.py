from django.urls import path

from civlearn.identity import views, views_invite, views_strong

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
    # Uploader accounts and their invitations (views_invite.py); the link carries a signed, expiring token.
    path("my/uploaders", views_invite.uploaders, name="uploaders"),
    path("my/uploaders/<int:user_id>/invite", views_invite.uploader_invite_again, name="uploader_invite_again"),
    path("invitation/<str:uidb64>/<str:token>", views_invite.invitation_accept, name="invitation_accept"),
    # Strong sign-in (views_strong.py): certificate cards and passkeys.
    path("signin/certificate/challenge", views_strong.certificate_challenge, name="certificate_challenge"),
    path("signin/certificate", views_strong.certificate_signin, name="certificate_signin"),
    path("signin/agency-certificate", views_strong.agency_certificate_signin, name="agency_certificate_signin"),
    path("signin/passkey/options", views_strong.passkey_signin_options, name="passkey_signin_options"),
    path("signin/passkey", views_strong.passkey_signin, name="passkey_signin"),
    path("my/certificates", views_strong.my_certificates, name="my_certificates"),
    path("my/certificates/challenge", views_strong.my_certificate_challenge, name="my_certificate_challenge"),
    path(
        "my/certificates/<int:certificate_id>/remove", views_strong.my_certificate_remove, name="my_certificate_remove"
    ),
    path("my/passkeys", views_strong.my_passkeys, name="my_passkeys"),
    path("my/passkeys/options", views_strong.my_passkey_options, name="my_passkey_options"),
    path("my/passkeys/register", views_strong.my_passkey_register, name="my_passkey_register"),
    path("my/passkeys/<int:passkey_id>/rename", views_strong.my_passkey_rename, name="my_passkey_rename"),
    path("my/passkeys/<int:passkey_id>/remove", views_strong.my_passkey_remove, name="my_passkey_remove"),
]
