from django.contrib.auth.views import LoginView
from django.urls import include, path

from . import views

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout-everywhere/", views.logout_everywhere, name="logout-everywhere"),
]
