"""Problem bodies: the errors the embedded control plane answers, with Airbyte's types and titles.

Owns the ``ApiProblem`` exception that handlers raise and its rendering as
``{status, type, title, detail, documentationUrl, data}`` (``api-problems.yaml``), plus the
plain 429 body of Airbyte's load-shedding filter. It must not know about routes or storage.
A problem's text never contains a secret: handlers put only ids, names and field names in it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

_ERRORS = "https://reference.airbyte.com/reference/errors"

#: 429 body of Airbyte's PublicApiLoadShedFilter: plain JSON, not a problem, no Retry-After.
RATE_LIMITED_BODY = {"message": "You are being rate limited."}


class ApiProblem(Exception):
    """A 4xx/5xx answer; raised anywhere below a handler, rendered once by the app."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.type = type_
        self.title = title
        self.detail = detail
        self.data = data

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "type": self.type,
            "title": self.title,
            "detail": self.detail,
            "documentationUrl": None,  # the real server serializes it as null
        }
        if self.data is not None:
            body["data"] = self.data
        return body

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status)


def bad_request(message: str) -> ApiProblem:
    return ApiProblem(
        400,
        f"{_ERRORS}#bad-request",
        "bad-request",
        "The request could not be understood by the server due to malformed syntax.",
        {"message": message},
    )


def payload_too_large(limit: int) -> ApiProblem:
    # No Airbyte problem type exists for this (Micronaut answers a bare 413); keep the
    # bad-request type so clients that switch on `type` treat it as a client error.
    return ApiProblem(
        413,
        f"{_ERRORS}#bad-request",
        "bad-request",
        "The request body is too large.",
        {"message": f"request body exceeds {limit} bytes"},
    )


def unauthorized() -> ApiProblem:
    return ApiProblem(
        401,
        f"{_ERRORS}#invalid-api-key",
        "invalid-api-key",
        "The API key in the Authorization header is invalid.",
    )


def forbidden(message: str) -> ApiProblem:
    return ApiProblem(
        403, f"{_ERRORS}#forbidden", "forbidden", "The request is forbidden.", {"message": message}
    )


def not_found(resource_type: str, resource_id: str) -> ApiProblem:
    return ApiProblem(
        404,
        f"{_ERRORS}#resource-not-found",
        "resource-not-found",
        "The requested resource could not be found.",
        {"resourceType": resource_type, "resourceId": resource_id},
    )


def route_not_found(path: str) -> ApiProblem:
    return ApiProblem(
        404,
        f"{_ERRORS}#resource-not-found",
        "resource-not-found",
        "The requested resource could not be found.",
        {"resourceId": path},
    )


def method_not_allowed(method: str) -> ApiProblem:
    return ApiProblem(
        405,
        f"{_ERRORS}#bad-request",
        "bad-request",
        "The request method is not supported for this resource.",
        {"message": f"method {method} not allowed"},
    )


def region_name_taken(name: str) -> ApiProblem:
    return ApiProblem(
        409,
        "error:dataplane-group-name-already-exists",
        "Data plane group name already exists",
        "A data plane group with this name already exists for this organization.",
        {"message": f"A region named {name!r} already exists in this organization."},
    )


def state_conflict(message: str) -> ApiProblem:
    return ApiProblem(
        409,
        f"{_ERRORS}#409-state-conflict",
        "state-conflict",
        "State conflict",
        {"message": message},
    )


def unprocessable(message: str) -> ApiProblem:
    return ApiProblem(
        422,
        f"{_ERRORS}#unprocessable-entity",
        "unprocessable-entity",
        "The body of the request was not understood",
        {"message": message},
    )


def mapper_validation(errors: list[dict[str, Any]]) -> ApiProblem:
    """``errors``: ``{stream, error, mapper: {type, mapperConfiguration}}`` each."""
    return ApiProblem(
        400,
        "error:mapper-validation",
        "Mapper validation failed",
        "The mapper configuration is invalid",
        {"errors": errors},
    )


def mapper_secret_not_found(mapper_type: str, mapper_id: str) -> ApiProblem:
    return ApiProblem(
        400,
        "error:mapper-validation/secret-not-found",
        "Mapper secret not found",
        "Attempted to use pre-existing secret values, but an existing secret for that mapper "
        "was not found. Please provide the secret values.",
        {"mapperType": mapper_type, "mapperId": mapper_id},
    )


def unexpected(message: str) -> ApiProblem:
    return ApiProblem(
        500,
        _ERRORS,
        "unexpected-problem",
        "An unexpected problem has occurred. If this is an error that needs to be addressed, "
        "please submit a pull request or github issue.",
        {"message": message},
    )


def unavailable() -> ApiProblem:
    return ApiProblem(
        503,
        _ERRORS,
        "service-unavailable",
        "The server is currently unable to handle the request.",
    )


def rate_limited() -> Response:
    return JSONResponse(RATE_LIMITED_BODY, status_code=429)
