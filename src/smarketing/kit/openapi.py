"""The OpenAPI schema as the API answers: every status a route can answer, each error in
the one shape the app gives (`{"detail": "<reason>"}`, smarketing.kit.errors).

FastAPI documents its own validation errors as `HTTPValidationError`, an array of
objects; this app answers them as one readable string. `install_openapi` rewrites the
schema FastAPI generates, once, when it is first asked for:

- `HTTPValidationError` becomes ERROR_SCHEMA (its name kept, so every route's 422 that
  refers to it now says the truth), and FastAPI's `ValidationError` schema goes;
- every error answer a route declares without a body schema gets ERROR_SCHEMA;
- every operation gets the answers any route can give: 500 (an unexpected error) and
  503 with `Retry-After` (the database busy or out of reach); one that reads a body,
  parameters or a JSON body also 422; one behind an API key also 401 and 403 (a read
  key on a write), and one with a path parameter or a body (which may name a record)
  also 404. What a route declares itself
  (its description and example) wins over these defaults.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, naming the field"},
        "quarantine_id": {"type": "integer",
                          "description": "The quarantine item keeping a rejected write"},
    },
    "required": ["detail"],
}  # fmt: skip
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer"}}}  # fmt: skip
DEFAULTS: dict[str, dict[str, Any]] = {
    "401": {"description": "No API key (or login), or an unknown or revoked one"},
    "403": {"description": "Not allowed: a read key on a write, or a missing CSRF token"},
    "404": {"description": "Nothing with this id or key"},
    "422": {"description": "A parameter or the body is invalid; the message names it"},
    "500": {"description": "An unexpected error; nothing was saved (see the server log)"},
    "503": {"description": "The database is busy or out of reach; nothing was saved",
            "headers": RETRY_AFTER},
}  # fmt: skip
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = documented(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def documented(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (as FastAPI made it) with the answers the app really gives (see above)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components["HTTPValidationError"] = ERROR_REF
    components.pop("ValidationError", None)
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                _document(path, operation)
    return schema


def _document(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted = ["500", "503"]
    if operation.get("parameters") or operation.get("requestBody"):
        wanted.append("422")
    if path.startswith("/api/"):
        wanted += ["401", "403"]
    if "{" in path or operation.get("requestBody"):  # an id in the path or the body
        wanted.append("404")
    for status in wanted:
        answer = responses.setdefault(status, {})
        for name, value in DEFAULTS[status].items():
            answer.setdefault(name, value)
    for status, answer in responses.items():
        if status[:1] in ("4", "5"):
            content = answer.setdefault("content", {}).setdefault("application/json", {})
            content["schema"] = ERROR_REF
