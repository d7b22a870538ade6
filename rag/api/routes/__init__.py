"""One router per resource; :func:`rag.api.app.create_app` includes them."""
