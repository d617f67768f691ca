from django.urls import path

from . import views

urlpatterns = [
    # Before django.contrib.auth's URLs (frontend/urls.py), which it shadows for logging out.
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/oidc/login/", views.oidc_login, name="oidc-login"),
    path("accounts/oidc/callback/", views.oidc_callback, name="oidc-callback"),
    path("accounts/oidc/logout/frontchannel/", views.frontchannel_logout, name="oidc-frontchannel-logout"),
]
