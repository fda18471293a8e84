"""
Django OAuth Toolkit (Debian's python3-django-oauth-toolkit 1.7, Django 3.2) as the end-to-end
tests meet it: an OpenID provider with authorization code + PKCE, refresh-token rotation, RFC 7009
revocation, its own login and consent pages, and a resource view protected by DOT itself (which
answers 403, not 401, to an expired token). The same server serves the fixture page and worker
(same origin, as an app behind one host would), counters like the demo server's, and test switches.

Run with Debian's Python (`/usr/bin/python3`): `PORT=5310 /usr/bin/python3 tests/e2e/idp/dot-server.py`.
Everything is in a fresh SQLite database in a temporary folder, gone when the server stops.
"""
import json
import os
import signal
import socketserver
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

PORT = int(os.environ.get("PORT", "5310"))
ORIGIN = f"http://127.0.0.1:{PORT}"
ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "dist" / "idp"
HERE = Path(__file__).resolve().parent
DATA = Path(tempfile.mkdtemp(prefix="sw-token-broker-dot-"))


def rsa_key_pem() -> str:
    from jwcrypto import jwk

    return jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()


settings.configure(
    DEBUG=False,
    SECRET_KEY="sw-token-broker-tests-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "oauth2_provider",
    ],
    MIDDLEWARE=[
        __name__ + ".count_grants",
        "django.contrib.sessions.middleware.SessionMiddleware",
        # APPEND_SLASH: a URL without DOT's trailing slash answers 301, as deployed DOT does.
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA / "db.sqlite3"), "OPTIONS": {"timeout": 30}}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(HERE / "dot-templates")], "APP_DIRS": True}],
    LOGIN_URL="/accounts/login/",
    STATIC_URL="/static/",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # tests only: fast logins
    OAUTH2_PROVIDER={
        "ACCESS_TOKEN_EXPIRE_SECONDS": 30,
        "ROTATE_REFRESH_TOKEN": True,
        "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
        "PKCE_REQUIRED": True,
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": rsa_key_pem(),
        "SCOPES": {"openid": "OpenID Connect", "read": "Read"},
    },
)
django.setup()

from django.contrib.auth import views as auth_views  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from oauth2_provider.models import AccessToken, Application, RefreshToken  # noqa: E402
from oauth2_provider.settings import oauth2_settings  # noqa: E402
from oauth2_provider.views.generic import ProtectedResourceView  # noqa: E402


def zero_stats():
    return {"logins": 0, "loginsFailed": 0, "refreshes": 0, "refreshesRejected": 0, "reuseDetected": 0, "revocations": 0, "apiCalls": 0, "api401": 0, "api403": 0, "apiWithoutToken": 0}


stats = zero_stats()
lock = threading.Lock()
# Refresh tokens that a refresh grant already exchanged: presenting one again is reuse.
exchanged = set()
# Test switches: latency and a 500 outage on the refresh grant.
switches = {"refreshDelayMs": 0, "fault": "none"}


def count_grants(get_response):
    """Counts what reaches the token and revocation endpoints, the way the demo server's stats do."""

    def middleware(request):
        if request.method == "POST" and request.path == "/o/token/":
            grant = request.POST.get("grant_type")
            presented = request.POST.get("refresh_token")
            if grant == "refresh_token":
                with lock:
                    stats["refreshes"] += 1
                    if presented in exchanged:
                        stats["reuseDetected"] += 1
                if switches["fault"] == "500":
                    return JsonResponse({"error": "server_error", "error_description": "Injected outage"}, status=500)
                if switches["refreshDelayMs"]:
                    threading.Event().wait(switches["refreshDelayMs"] / 1000)
            response = get_response(request)
            with lock:
                if grant == "refresh_token":
                    if response.status_code == 200:
                        exchanged.add(presented)
                    else:
                        stats["refreshesRejected"] += 1
                elif grant == "authorization_code":
                    stats["logins" if response.status_code == 200 else "loginsFailed"] += 1
            return response
        if request.method == "POST" and request.path == "/o/revoke_token/":
            response = get_response(request)
            if response.status_code == 200:
                with lock:
                    stats["revocations"] += 1
            return response
        return get_response(request)

    return middleware


class ApiData(ProtectedResourceView):
    """DOT's own protection: a missing, expired or revoked token gets 403 (its default), not 401."""

    def dispatch(self, request, *args, **kwargs):
        with lock:
            stats["apiCalls"] += 1
            if not request.META.get("HTTP_AUTHORIZATION"):
                stats["apiWithoutToken"] += 1
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 403:
            with lock:
                stats["api403"] += 1
        return response

    def get(self, request, *args, **kwargs):
        return JsonResponse({"user": request.resource_owner.username})


def fixture_page(request):
    return HttpResponse(
        '<!doctype html><html><head><meta charset="utf-8"><title>Django OAuth Toolkit</title></head>'
        '<body><script src="/idp-config.js"></script><script src="/oidc-page.js"></script></body></html>'
    )


def fixture_file(name):
    def view(request):
        response = HttpResponse((FIXTURES / name).read_text(), content_type="text/javascript")
        response["Cache-Control"] = "no-cache"
        return response

    return view


def idp_config(request):
    """What the fixture page and worker read (importScripts): the provider as a user would configure it."""
    config = {
        "name": "Django OAuth Toolkit",
        "issuer": f"{ORIGIN}/o",
        # DOT serves its metadata only with a trailing slash.
        "discoveryUrl": f"{ORIGIN}/o/.well-known/openid-configuration/",
        # DOT 1.7's metadata names no revocation endpoint.
        "revocationEndpoint": f"{ORIGIN}/o/revoke_token/",
        "clientId": "spa",
        "scope": "openid read",
        # DOT's resource views answer 403 to an expired token.
        "statusCodes": [401, 403],
        # Mistakes a new user makes, one scope each.
        "variants": {
            "/no-slash-discovery/": {"discoveryUrl": None},
            "/no-revocation/": {"revocationEndpoint": None},
            # The password grant for a client DOT allows only the authorization code (one grant type per application).
            "/password-grant/": {"passwordGrant": True, "tokenEndpoint": f"{ORIGIN}/o/token/"},
            # The token endpoint without DOT's trailing slash.
            "/no-slash-token/": {"passwordGrant": True, "tokenEndpoint": f"{ORIGIN}/o/token"},
            # A client id DOT does not know.
            "/unknown-client/": {"passwordGrant": True, "tokenEndpoint": f"{ORIGIN}/o/token/", "clientId": "nobody"},
        },
    }
    response = HttpResponse(f"self.SW_TOKEN_BROKER_IDP = {json.dumps(config)};\n", content_type="text/javascript")
    response["Cache-Control"] = "no-store"
    return response


def read_json(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return {}


def stats_view(request):
    return JsonResponse(stats)


@csrf_exempt
def stats_reset(request):
    with lock:
        stats.update(zero_stats())
    return JsonResponse(stats)


@csrf_exempt
def test_config(request):
    body = read_json(request)
    if "accessTtlSeconds" in body:
        oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS = int(body["accessTtlSeconds"])
    if "graceSeconds" in body:
        oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS = int(body["graceSeconds"])
    if "refreshDelayMs" in body:
        switches["refreshDelayMs"] = int(body["refreshDelayMs"])
    if "fault" in body:
        switches["fault"] = "500" if body["fault"] == "500" else "none"
    return JsonResponse({**switches, "accessTtlSeconds": oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS, "graceSeconds": oauth2_settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS})


@csrf_exempt
def expire_access_tokens(request):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    return JsonResponse({"ok": True})


@csrf_exempt
def revoke_all(request):
    """Revokes every session, as an administrator would: refresh tokens revoked, access tokens deleted."""
    RefreshToken.objects.filter(revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.all().delete()
    return JsonResponse({"ok": True})


@csrf_exempt
def refresh_token_active(request):
    token = str(read_json(request).get("refreshToken", ""))
    return JsonResponse({"active": RefreshToken.objects.filter(token=token, revoked__isnull=True).exists()})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="login.html")),
    path("api/data", ApiData.as_view()),
    path("idp-config.js", idp_config),
    path("oidc-page.js", fixture_file("oidc-page.js")),
    path("auth/stats", stats_view),
    path("auth/stats/reset", stats_reset),
    path("auth/config", lambda request: JsonResponse({"idp": "dot"})),
    path("auth/test/config", test_config),
    path("auth/test/expire-access-tokens", expire_access_tokens),
    path("auth/test/refresh-token-active", refresh_token_active),
    path("auth/test/revoke-all", revoke_all),
]
# The fixture page and its worker at the root and under each variant's scope.
SCOPES = ["", "sealed/", "no-slash-discovery/", "no-revocation/", "password-grant/", "no-slash-token/", "unknown-client/"]
for scope in SCOPES:
    urlpatterns.append(path(scope, fixture_page))
    urlpatterns.append(path(f"{scope}oidc-sw.js", fixture_file("oidc-sw.js")))


def prepare():
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_user("demo", password="demo")
    Application.objects.create(
        name="spa",
        client_id="spa",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(f"{ORIGIN}/{scope}oidc-callback" for scope in SCOPES),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main():
    from django.core.wsgi import get_wsgi_application

    prepare()
    server = make_server("127.0.0.1", PORT, get_wsgi_application(), server_class=ThreadingServer, handler_class=QuietHandler)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Django OAuth Toolkit on {ORIGIN}/", flush=True)
    server.serve_forever()
    import shutil

    shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
