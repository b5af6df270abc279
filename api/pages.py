"""The pages people open in a browser: Swagger UI and ReDoc served offline, and the results page.

FastAPI's own /docs loads Swagger UI from a CDN, which fails on a machine without internet; here its assets come
from the `fastapi-offline` package and are served by the API itself. The results page (`/ui`) is plain
HTML/JS/CSS from `api/static/`: it calls the same public API as any client, with the key the user types in.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.deps import SettingsDep
from core.api_keys import LOCAL_DEV_API_KEY
from core.config import Settings

STATIC_DIR = Path(__file__).parent / "static"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"

DOCS_ASSETS_URL = "/docs-assets"
UI_ASSETS_URL = "/ui/assets"

SWAGGER_UI_PARAMETERS: dict[str, Any] = {
    "displayRequestDuration": True,
    "docExpansion": "list",
    "defaultModelsExpandDepth": 0,  # the schemas are shown with each route; the list at the bottom is noise
    "tryItOutEnabled": False,
    "validatorUrl": None,  # else Swagger UI sends the spec's URL to validator.swagger.io for a badge
    # The key typed in Authorize survives a reload (Swagger UI keeps it in the browser's localStorage), as the
    # results page's key survives one in sessionStorage.
    "persistAuthorization": True,
}

# ReDoc's bundle draws its "API docs by Redocly" logo from this URL, with no option to turn it off. The bundle is
# served with the URL replaced by an image that fails to load at once, which ReDoc answers by showing no logo.
_REDOC_CDN_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_JS_URL = f"{DOCS_ASSETS_URL}/redoc.offline.js"

# The results page runs only its own script and style; images and uploads go to presigned S3 links, whose host
# depends on the deployment (AWS, moto, LocalStack), hence http:/https: for img-src and connect-src.
_UI_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: http: https:; connect-src 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.api_route("/", methods=["GET", "HEAD"])
def home(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{_root(request)}/ui")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    openapi_url = request.app.openapi_url or "/openapi.json"
    return get_swagger_ui_html(
        openapi_url=f"{root}{openapi_url}",
        title=f"{request.app.title} API - Swagger UI",
        swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{UI_ASSETS_URL}/favicon.svg",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    openapi_url = request.app.openapi_url or "/openapi.json"
    return get_redoc_html(
        openapi_url=f"{root}{openapi_url}",
        title=f"{request.app.title} API - ReDoc",
        redoc_js_url=f"{root}{REDOC_JS_URL}",
        redoc_favicon_url=f"{root}{UI_ASSETS_URL}/favicon.svg",
        with_google_fonts=False,
    )


@functools.cache
def _offline_redoc_bundle() -> bytes:
    return (DOCS_ASSETS_DIR / "redoc.standalone.js").read_bytes().replace(_REDOC_CDN_LOGO, b"data:,")


@router.get(REDOC_JS_URL)
def redoc_bundle() -> Response:
    return Response(_offline_redoc_bundle(), media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


@router.api_route("/ui", methods=["GET", "HEAD"])
def results_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_UI_HEADERS)


def offered_dev_key(settings: Settings) -> str | None:
    """The key pages may fill in for the user: the published dev key, which only a local stack seeds and accepts."""
    return LOCAL_DEV_API_KEY if settings.environment == "local" else None


@router.get("/ui/config.json")
def results_page_config(settings: SettingsDep) -> dict[str, Any]:
    """What the results page needs before the user types anything."""
    return {"environment": settings.environment, "default_api_key": offered_dev_key(settings), "docs_url": "/docs"}


def install_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    app.mount(UI_ASSETS_URL, StaticFiles(directory=STATIC_DIR / "assets"), name="ui-assets")
