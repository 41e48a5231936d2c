"""Swagger UI served by the gateway itself, not from a CDN.

FastAPI's default ``/docs`` page loads Swagger UI's JavaScript and CSS from jsDelivr, which
leaves a blank page wherever the browser cannot reach the internet (air-gapped clusters, this
project's own development machines). The assets ship in the ``swagger-ui-bundle-v2`` wheel
(Swagger UI 5, which renders OpenAPI 3.1) and are served under ``/docs/assets``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI for ``app.openapi_url`` at ``/docs`` from local assets (create the app
    with ``docs_url=None``)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
