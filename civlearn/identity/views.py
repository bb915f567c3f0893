"""Skeleton views; the identity work replaces them with the manual's screens."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def index(request):
    return redirect("identity:my_area" if request.user.is_authenticated else "identity:signin")


signin = LoginView.as_view(template_name="identity/signin.html")


@require_POST
def signout(request):
    logout(request)
    return redirect("identity:signin")


@login_required
def my_area(request):
    return render(request, "identity/my_area.html")


@login_required
def password_expired(request):
    return render(request, "identity/my_area.html")
