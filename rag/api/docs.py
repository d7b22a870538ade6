"""/docs (Swagger UI) and /redoc (ReDoc) from files installed with the project.

fastapi-offline ships both bundles and serves them under ``/static-offline-docs``;
its /docs page is used as it is. ReDoc's page is written here instead, because ReDoc
shows a badge whose logo it loads from the vendor's CDN: the page carries a
Content-Security-Policy that lets it load nothing from anywhere but this server.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from fastapi_offline import FastAPIOffline

STATIC_URL = "/static-offline-docs"
REDOC_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'"
)


def offline_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app whose /docs and /redoc need no network."""
    app = FastAPIOffline(redoc_url=None, static_url=STATIC_URL, **kwargs)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
        policy = f'<meta http-equiv="Content-Security-Policy" content="{REDOC_POLICY}">'
        body = bytes(page.body).decode().replace("<head>", f"<head>\n{policy}", 1)
        return HTMLResponse(body, headers={"Content-Security-Policy": REDOC_POLICY})

    return app


__all__ = ["offline_app"]
